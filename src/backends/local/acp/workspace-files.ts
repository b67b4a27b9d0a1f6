import { lstat, mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';

// A file the agent reads through us is text it will put in its context: more than this is refused, not truncated.
const MAX_READ_BYTES = 10 * 1024 * 1024;

/** The agent asked for a file it may not have (outside its workspace, not absolute): told so, nothing done. */
export class OutsideWorkspaceError extends Error {
  override readonly name = 'OutsideWorkspaceError';
}

/**
 * The client side of ACP's file system methods (`fs/read_text_file`,
 * `fs/write_text_file`): reads and writes inside the session's workspace
 * only. A path is checked as the file system resolves it, not as written:
 * `..` and symbolic links (the file's, or any directory's on the way) that
 * lead outside are refused. The workspace itself is resolved once, so a
 * workspace under a symlinked directory still works.
 */
export class WorkspaceFiles {
  private root?: Promise<string>;

  constructor(
    private readonly workspace: string,
    private readonly opts: { missingReadsEmpty: boolean } = { missingReadsEmpty: false },
  ) {}

  async read(file: string, line?: number | null, limit?: number | null): Promise<string> {
    const real = await this.inside(file, 'read', this.opts.missingReadsEmpty);
    const buf = await readFile(real).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && this.opts.missingReadsEmpty) return Buffer.alloc(0);
      throw e;
    });
    if (buf.length > MAX_READ_BYTES) throw new OutsideWorkspaceError(`${file} is larger than ${MAX_READ_BYTES} bytes`);
    const text = buf.toString('utf8');
    if (!line && !limit) return text;
    const lines = text.split('\n');
    const start = Math.max(0, (line ?? 1) - 1);
    return lines.slice(start, limit ? start + limit : undefined).join('\n');
  }

  async write(file: string, content: string): Promise<void> {
    const real = await this.inside(file, 'written', true);
    await mkdir(path.dirname(real), { recursive: true });
    await writeFile(real, content);
  }

  /**
   * The real path of `file`, when it is inside the workspace. For a file
   * that may not exist yet (`mayBeMissing`: a write, Gemini's read before one), its nearest existing ancestor is what
   * is resolved, and the rest must not climb out with `..`.
   */
  private async inside(file: string, what: 'read' | 'written', mayBeMissing: boolean): Promise<string> {
    if (!path.isAbsolute(file)) throw new OutsideWorkspaceError(`${file}: the path must be absolute`);
    const root = await (this.root ??= realpath(this.workspace));
    let existing = path.resolve(file);
    const rest: string[] = [];
    for (;;) {
      try {
        existing = await realpath(existing);
        break;
      } catch (e) {
        const parent = path.dirname(existing);
        // Only a missing file (or directory) may be created; anything else is the error it is.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !mayBeMissing || parent === existing) throw e;
        rest.unshift(path.basename(existing));
        existing = parent;
      }
    }
    // What is missing may be a link to nowhere (yet): writing through it would create its target, wherever that is.
    if (rest.length > 0 && (await lstat(path.join(existing, rest[0])).catch(() => undefined)))
      throw new OutsideWorkspaceError(`${file} goes through a symbolic link to a missing file; it cannot be written`);
    const real = path.join(existing, ...rest);
    if (real !== root && !real.startsWith(root + path.sep))
      throw new OutsideWorkspaceError(`${file} is outside the session's workspace (${this.workspace}); only files inside it can be ${what}`);
    return real;
  }
}
