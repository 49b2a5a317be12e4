import { Header } from 'tar';
import { crc32, gzipSync } from 'node:zlib';

/**
 * Hand-made archives for the hostile-tree tests: the entry names and types go in exactly as given (archive
 * libraries sanitise names on write, so they cannot produce these).
 */
export interface RawEntry {
  name: string;
  data?: string | Buffer;
  /** tar: File (default), SymbolicLink, Link, CharacterDevice, FIFO; zip: file or symlink. */
  type?: 'File' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'FIFO';
  linkpath?: string;
  mode?: number;
  /** tar only: claim this size in the header (default: the data length). */
  size?: number;
}

export function rawTarGz(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const block = Buffer.alloc(512);
    new Header({
      path: e.name,
      mode: e.mode ?? 0o644,
      size: e.size ?? (e.type && e.type !== 'File' ? 0 : data.length),
      mtime: new Date(0),
      type: e.type ?? 'File',
      linkpath: e.linkpath,
      uid: 0,
      gid: 0,
    } as never).encode(block, 0);
    parts.push(block);
    if ((e.type ?? 'File') === 'File' && data.length) parts.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

/** A stored (uncompressed) zip with exactly these names; symlinks carry their target as data and S_IFLNK in the attributes. */
export function rawZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const data = Buffer.from(e.type === 'SymbolicLink' ? (e.linkpath ?? '') : (e.data ?? ''));
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by Unix
    central.writeUInt16LE(10, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    const mode = e.type === 'SymbolicLink' ? 0o120777 : 0o100000 | (e.mode ?? 0o644);
    central.writeUInt32LE((mode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
