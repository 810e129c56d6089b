// Package backup is the on-disk format of an Akutan backup: the state of
// the whole database as of one log index, as files a restore (or
// `akutan ctl verify-backup`) reads back without any server running.
//
// A backup is a directory:
//
//	DIR/hashsp-0000000000000000-7fffffffffffffff.keys.gz
//	DIR/hashsp-8000000000000000-ffffffffffffffff.keys.gz
//	DIR/hashpo-....keys.gz
//	DIR/manifest.json
//
// Each data file holds the stored keys of one hash range of one space (a
// range as some source view served it) with a log index at or below the
// backup's index: facts and deletion tombstones alike, each with its
// stored value (the literal annotation, usually empty), exactly what a
// booting view loads from its peers (see cluster/boot and the ViewBoot
// service). A data file is gzip-compressed (with klauspost/compress: the
// same format as compress/gzip, which any gunzip reads, at about 15% less
// CPU for a backup of LUBM-10); uncompressed it is
//
//	"akutan-backup-keys 1\n"
//	then per key: uvarint len(key), key, uvarint len(value), value
//
// in the order the source sent them (its key order from wherever its scan
// was, wrapping around once; the order carries no meaning).
//
// manifest.json (Manifest) names the backup's log index, the log format
// version in force (and the index of the entry that switched to it), and
// every data file with its space, range, key count, compressed size,
// SHA-256 and digest: the sum mod 2^64 of viewstore.EntryDigest over its
// keys and values, the same sum a view reports for its range through
// ViewBoot.Digest (recorded as view_digest when the file covers exactly
// one source view's range). The manifest is written last, to a temporary
// file that is synced and then renamed, so a directory without
// manifest.json is an incomplete backup (ErrIncomplete), never a whole
// one. Data files are synced before the manifest is written.
//
// An incremental backup has the same layout; its manifest's base names
// the backup it adds to (that backup's index and the SHA-256 of its
// manifest file), and its files hold only the keys with a log index above
// the base's. Keys are never removed from a view's store (a deletion is a
// tombstone key of its own index), so a full backup's keys and those of a
// chain of incremental ones on top of it are exactly the keys up to the
// last one's index. OpenChain checks such a chain.
//
// Writer writes a backup; Open reads its manifest and ReadFile streams one
// data file's keys while checking its size, checksum, count and digest.
// Verify checks a whole backup that way.
package backup
