// Package backup takes a consistent backup of a whole database as of one
// log index, from its running views, into the format of storage/backup;
// and restores a view's store from one.
//
// Take finds the views through an API server's gossip members (package
// members), as the CLI must: it joins no gossip itself. The backup's index
// I is by default the log's last index when it starts, read
// linearizably from the log replicas the members name. For each space it
// cuts the hash space into the pieces the serving views' ranges make
// (space.Split: one piece per range when the partitioning is even) and
// streams each piece from one replica through the boot stream
// (ViewBoot.Load, via boot.Fetch) as of I: the source waits until it has
// applied I and sends only keys at or below it, so the backup holds every
// entry up to I and none after, while writes go on. Each piece becomes one
// data file, whose count and digest the stream's totals check; when the
// piece is exactly its source's range, the source's own digest at I
// (ViewBoot.Digest) is checked and recorded too. A stream that fails
// (the source went away, or holds an undecided transaction at or below I)
// is discarded and retried on the next replica of the range, a few rounds,
// before the backup fails naming the range. The manifest is written only
// once every file is complete. With Config.Since, the backup is
// incremental: the loads ask only for the keys above the base backup's
// index (LoadRequest.after_index).
//
// Restore fills an empty view store from a backup, or a full backup and
// incremental ones on top of it: the keys of the files overlapping the
// view's range, filtered to its range, through a viewstore.Loader as a
// boot from peers does; any partitioning restores from any other. The
// view then follows the log from the last backup's index + 1.
package backup
