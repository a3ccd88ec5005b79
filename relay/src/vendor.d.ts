/** aedes-persistence-redis ships no type declarations (CommonJS: module.exports = factory). */
declare module 'aedes-persistence-redis' {
  function factory(opts?: Record<string, unknown>): unknown;
  export = factory;
}
