/**
 * `.zip` archives given to an import: their record files are streamed (yauzl, one entry
 * at a time) into a temporary directory, imported from there as plain files, and the
 * directory is removed afterwards. Memory stays bounded by one read buffer whatever the
 * archive's size; disk use is the archive's unpacked record files. Paths in messages and
 * in the summary name the archive and the entry (`games.zip:2019/hex13.sgf`).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { HextorchError } from '../errors';

export interface ZipInputs {
  /** The inputs with every archive replaced by its extracted entries. */
  inputs: string[];
  /** Rewrites extracted paths in a text back to `archive:entry`. */
  rename(text: string): string;
  cleanup(): Promise<void>;
}

function isZip(path: string): boolean {
  return path.toLowerCase().endsWith('.zip');
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true }, (error, zip) => {
      if (error || !zip) reject(new HextorchError('HEXTORCH_IO', `cannot read zip archive ${path}: ${error?.message ?? 'no archive'}`));
      else resolve(zip);
    });
  });
}

/** Entry names in the archive's order, filtered by `wanted`. */
function listEntries(zip: yauzl.ZipFile, wanted: (name: string) => boolean): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      if (!entry.fileName.endsWith('/') && wanted(entry.fileName)) entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', reject);
    zip.readEntry();
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => (error || !stream ? reject(error ?? new Error('no stream')) : resolve(stream)));
  });
}

/**
 * Extracts the record files of every `.zip` among `inputs` (for SGF the `.sgf` and
 * `.txt` entries, as in directories). Other inputs pass through unchanged.
 */
export async function extractZipInputs(inputs: string[], wanted: (name: string) => boolean): Promise<ZipInputs> {
  const renames: [string, string][] = [];
  let dir: string | undefined;
  const cleanup = async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  };
  const out: string[] = [];
  let archives = 0;
  try {
    for (const input of inputs) {
      const isFile = await stat(input).then((s) => s.isFile(), () => false);
      if (!isZip(input) || !isFile) {
        out.push(input);
        continue;
      }
      dir ??= await mkdtemp(join(tmpdir(), 'hextorch-zip-'));
      // The central directory first (names sorted, like a directory's files), then the
      // entries' data one at a time; yauzl reads lazily, so nothing is held whole.
      const zip = await openZip(input);
      let entries: yauzl.Entry[];
      try {
        entries = await listEntries(zip, wanted);
      } catch (error) {
        zip.close();
        throw new HextorchError('HEXTORCH_IO', `cannot read zip archive ${input}: ${(error as Error).message}`);
      }
      if (entries.length === 0) {
        zip.close();
        throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `zip archive ${input} holds no record files`);
      }
      const index = new Map(entries.map((e) => [e.fileName, e] as const));
      const names = [...index.keys()].sort();
      const archiveDir = join(dir, String(archives++));
      try {
        for (const [k, name] of names.entries()) {
          // One numbered directory per entry holding the entry's base name: no entry
          // path can leave the temporary directory, and the dataset's manifest (which
          // lists base names) names the entry.
          const entryDir = join(archiveDir, String(k));
          await mkdir(entryDir, { recursive: true });
          const target = join(entryDir, basename(name).replace(/[^\w.+-]/g, '_'));
          await pipeline(await openEntry(zip, index.get(name)!), createWriteStream(target));
          out.push(target);
          renames.push([target, `${input}:${name}`]);
        }
      } catch (error) {
        if (error instanceof HextorchError) throw error;
        throw new HextorchError('HEXTORCH_IO', `cannot extract from zip archive ${input}: ${(error as Error).message}`);
      } finally {
        zip.close();
      }
    }
  } catch (error) {
    await cleanup();
    throw error;
  }
  // Longest first, so that `.../1/x.sgf` never rewrites part of `.../11/x.sgf`.
  renames.sort((a, b) => b[0].length - a[0].length);
  return {
    inputs: out,
    rename: (text) => renames.reduce((t, [from, to]) => t.split(from).join(to), text),
    cleanup,
  };
}
