// Package logarchive is the durable format of an archive of the central
// log's prefix: entries copied out of the log (`akutan ctl log archive`)
// before truncation discards them, so that they outlive the log and `ctl
// log truncate --require-archive DIR` can refuse to discard what no
// archive holds.
//
// # Directory
//
// An archive is a directory of segment files, each holding a contiguous,
// non-empty run of log entries and named by the range it holds:
//
//	log-<first>-<last>.seg     first and last index, 20 decimal digits each
//
// e.g. log-00000000000000000001-00000000000000004096.seg. Segments never
// overlap, and each new one starts right after the archive's last (an
// archive may start at any index: the log's first retained index when it
// was first archived). A segment is written to a temporary name
// (".tmp-" prefix), synced, and renamed into place, and the directory is
// synced: a segment that has its name is whole, and a crash leaves at
// most a temporary file, which List ignores and the next archive run
// removes.
//
// # Segment
//
// A segment file is, with integers little-endian:
//
//	"AKLOGSEG"                 8 bytes: magic
//	version                    uint32: 1
//	then per entry, in index order:
//	  index                    uint64
//	  length                   uint32
//	  data                     length bytes: the entry exactly as the log holds it
//	  crc                      uint32: CRC-32C of index, length and data
//	"AKLOGEND"                 8 bytes
//	first, last, count         uint64 each
//	crc                        uint32: CRC-32C of every byte before it
//
// ReadSegment checks everything: the magic and version, each entry's
// checksum, that indexes run from first to last without a gap, the
// trailer against the name and the entries, and the file's checksum. Any
// difference is an error naming the file (and the entry, where there is
// one), so a truncated or damaged segment is never taken for a whole one.
//
// Covers(dir, from, to) is what truncation asks: whether the archive
// holds every index in [from, to], in segments that all read back
// whole.
package logarchive
