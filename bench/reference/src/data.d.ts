// The catalog's data files, bundled as text by build.mjs (esbuild's `text` loader).
declare module '*.csv' {
  const text: string;
  export default text;
}
