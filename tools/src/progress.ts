/** A one-line progress bar on stderr (only drawn on a terminal; otherwise a line per 25%). */
export interface Progress {
  update(done: number): void;
  finish(text?: string): void;
}

export function progressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true;
  let lastQuarter = -1;
  const fmt = (n: number) => (n >= 1024 ? (n / 1024).toFixed(1) + ' KB' : n + ' B');
  return {
    update(done) {
      const f = total > 0 ? Math.min(1, done / total) : 1;
      if (tty) {
        const width = 30;
        const fill = Math.round(f * width);
        stream.write('\r' + label + ' [' + '#'.repeat(fill) + '-'.repeat(width - fill) + '] ' + Math.round(f * 100) + '% ' + fmt(done) + '/' + fmt(total) + '   ');
      } else {
        const q = Math.floor(f * 4);
        if (q !== lastQuarter) {
          lastQuarter = q;
          stream.write(label + ' ' + Math.round(f * 100) + '% (' + fmt(done) + '/' + fmt(total) + ')\n');
        }
      }
    },
    finish(text) {
      if (tty) stream.write('\r' + label + ' done' + (text ? ': ' + text : '') + ' '.repeat(40) + '\n');
      else stream.write(label + ' done' + (text ? ': ' + text : '') + '\n');
    }
  };
}
