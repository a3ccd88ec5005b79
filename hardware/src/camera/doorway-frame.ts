/**
 * Renders one frame of a simulated doorway as the camera sees it: wall, floor, the door in its
 * frame, a visitor whose position moves with the frame number, and a caption burnt into the
 * image (UTC timestamp, frame number, capture number), as real cameras stamp their frames.
 */
import { encodePng } from './png';

export const FRAME_WIDTH = 320;
export const FRAME_HEIGHT = 240;

type Rgb = [number, number, number];

const WALL: Rgb = [196, 186, 170];
const FLOOR: Rgb = [120, 104, 88];
const FRAME_WOOD: Rgb = [92, 64, 40];
const DOOR: Rgb = [46, 86, 122];
const KNOB: Rgb = [222, 190, 80];
const COAT: Rgb = [200, 110, 40];
const SKIN: Rgb = [224, 180, 150];
const PARCEL: Rgb = [170, 130, 80];
const BAND: Rgb = [16, 16, 16];
const TEXT: Rgb = [245, 245, 245];

// 5×7 glyphs, one string per row, '#' lit.
const GLYPHS: Record<string, string[]> = {
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '3': ['####.', '....#', '....#', '.###.', '....#', '....#', '####.'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '6': ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  '9': ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
  ':': ['.....', '..#..', '..#..', '.....', '..#..', '..#..', '.....'],
  '-': ['.....', '.....', '.....', '#####', '.....', '.....', '.....'],
  '#': ['.#.#.', '.#.#.', '#####', '.#.#.', '#####', '.#.#.', '.#.#.'],
  '/': ['....#', '....#', '...#.', '..#..', '.#...', '#....', '#....'],
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
  'A': ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  'C': ['.###.', '#...#', '#....', '#....', '#....', '#...#', '.###.'],
  'F': ['#####', '#....', '#....', '####.', '#....', '#....', '#....'],
  'M': ['#...#', '##.##', '#.#.#', '#.#.#', '#...#', '#...#', '#...#'],
  'P': ['####.', '#...#', '#...#', '####.', '#....', '#....', '#....'],
  'R': ['####.', '#...#', '#...#', '####.', '#.#..', '#..#.', '#...#'],
  'T': ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
  'U': ['#...#', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  'E': ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  'Z': ['#####', '....#', '...#.', '..#..', '.#...', '#....', '#####']
};
const GLYPH_W = 5;
const GLYPH_H = 7;
const TEXT_SCALE = 2;

class Canvas {
  readonly px: Uint8Array;
  constructor(readonly w: number, readonly h: number) {
    this.px = new Uint8Array(w * h * 3);
  }
  rect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.floor(x));
    const y0 = Math.max(0, Math.floor(y));
    const x1 = Math.min(this.w, Math.floor(x + w));
    const y1 = Math.min(this.h, Math.floor(y + h));
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const i = (yy * this.w + xx) * 3;
        this.px[i] = c[0];
        this.px[i + 1] = c[1];
        this.px[i + 2] = c[2];
      }
    }
  }
  text(x: number, y: number, s: string, c: Rgb): void {
    for (let k = 0; k < s.length; k++) {
      const g = GLYPHS[s[k]] ?? GLYPHS[' '];
      for (let row = 0; row < GLYPH_H; row++) {
        for (let col = 0; col < GLYPH_W; col++) {
          if (g[row][col] === '#') this.rect(x + (k * (GLYPH_W + 1) + col) * TEXT_SCALE, y + row * TEXT_SCALE, TEXT_SCALE, TEXT_SCALE, c);
        }
      }
    }
  }
}

export interface FrameInfo {
  /** Capture time, ms since the epoch. */
  at: number;
  /** 1-based frame number within the clip. */
  frame: number;
  frames: number;
  capture: number;
}

/** The PNG bytes of one frame. */
export function renderDoorwayFrame(f: FrameInfo): Buffer {
  const c = new Canvas(FRAME_WIDTH, FRAME_HEIGHT);
  c.rect(0, 0, FRAME_WIDTH, FRAME_HEIGHT, WALL);
  c.rect(0, 190, FRAME_WIDTH, 50, FLOOR);
  c.rect(110, 40, 100, 152, FRAME_WOOD);
  c.rect(118, 48, 84, 144, DOOR);
  c.rect(188, 118, 8, 8, KNOB);
  // The visitor steps towards the door over the clip, carrying a parcel.
  const step = f.frames > 1 ? (f.frame - 1) / (f.frames - 1) : 0;
  const vx = 30 + Math.round(step * 150);
  const scale = 1 + step * 0.25;
  c.rect(vx, 190 - 110 * scale, 34 * scale, 80 * scale, COAT);
  c.rect(vx + 7 * scale, 190 - 134 * scale, 20 * scale, 22 * scale, SKIN);
  c.rect(vx + 20 * scale, 190 - 80 * scale, 30 * scale, 22 * scale, PARCEL);
  c.rect(vx + 4 * scale, 190 - 30 * scale, 10 * scale, 30 * scale, BAND);
  c.rect(vx + 20 * scale, 190 - 30 * scale, 10 * scale, 30 * scale, BAND);
  // Caption band: timestamp and frame counter.
  c.rect(0, 0, FRAME_WIDTH, 34, BAND);
  const iso = new Date(f.at).toISOString();
  c.text(6, 3, iso.slice(0, 10) + ' ' + iso.slice(11, 19) + 'Z', TEXT);
  c.text(6, 19, 'CAM #' + f.frame + '/' + f.frames + ' CAPTURE ' + f.capture, TEXT);
  return encodePng(FRAME_WIDTH, FRAME_HEIGHT, c.px);
}
