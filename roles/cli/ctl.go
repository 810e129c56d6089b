package cli

import "github.com/urfave/cli/v2"

// ctlCommand groups the operator commands: `akutan ctl log ...` manages
// the central log (ctl_log.go), `akutan ctl verify` compares view digests
// (ctl_verify.go), `akutan ctl drain` marks a view about to be stopped
// (ctl_drain.go), `akutan ctl forget-lost` drops a lost server from
// status (ctl_lost.go), `akutan ctl backup` and `verify-backup` take and
// check a backup (ctl_backup.go), `akutan ctl certs` and `token` make
// certificates and API tokens (ctl_secure.go).
func ctlCommand() *cli.Command {
	return &cli.Command{
		Name:  "ctl",
		Usage: "operate a cluster: manage the log, verify and drain views, forget lost servers, back up",
		Subcommands: []*cli.Command{ctlLogCommand(), ctlVerifyCommand(), ctlDrainCommand(), ctlForgetLostCommand(),
			ctlBackupCommand(), ctlVerifyBackupCommand(), ctlCertsCommand(), ctlTokenCommand()},
	}
}
