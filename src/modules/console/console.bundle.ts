import { build } from 'esbuild';

/** The console's script and style, bundled from `console/src` (TypeScript and Preact) by esbuild. */
export interface ConsoleBundle {
  script: string;
  style: string;
}

const ENTRY = new URL('../../../console/src/main.tsx', import.meta.url).pathname;

/**
 * Bundles the console in memory, once per process and only when a browser first asks for it:
 * `npm start` stays the whole set-up (no build step, nothing written to disk), and a process
 * that serves only the API never pays for it (~0.3 s).
 */
export async function bundleConsole(): Promise<ConsoleBundle> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    outdir: '/console-bundle',
    format: 'esm',
    target: 'es2022',
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const output = (extension: string) => {
    const file = result.outputFiles.find((candidate) => candidate.path.endsWith(extension));
    if (!file) throw new Error(`the console bundle has no ${extension} output`);
    return file.text;
  };
  return { script: output('.js'), style: output('.css') };
}
