package logserver_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/akutan-dev/akutan/roles/logserver/logtest"
	"github.com/akutan-dev/akutan/wire"
)

// TestDirectoryOnReplicas checks the directory through the replicas: the
// founders record their own addresses, so Info lists them with the
// members; a server is recorded once; an upgrade is refused naming a
// recorded server that supports less, and allowed once it is forgotten.
func TestDirectoryOnReplicas(t *testing.T) {
	c := logtest.Start(t, 3)
	c.WaitLeader(t)
	cl := c.Dial(t, 1)
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := cl.Info(ctxFor(t, 5*time.Second), &wire.InfoRequest{})
		recorded := 0
		for _, m := range info.GetMembers() {
			if m.GrpcAddr != "" {
				recorded++
			}
		}
		if err == nil && recorded == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Info lists %v (%v); want the 3 members with their gRPC addresses", info.GetMembers(), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	admin := c.DialAdmin(t, 2)
	rec := &wire.ServerRecord{Role: "view", GrpcAddr: "127.0.0.1:1", Cluster: "dc1", Dc: "dc1", MaxLogVersion: 1}
	for i := 0; i < 2; i++ {
		reply, err := admin.RecordServer(ctxFor(t, 5*time.Second), rec)
		if err != nil || !reply.Recorded {
			t.Fatalf("recording a view: %v, %v", reply, err)
		}
	}
	dirReply, err := admin.Directory(ctxFor(t, 5*time.Second), &wire.DirectoryRequest{})
	if err != nil || len(dirReply.Replicas) != 3 {
		t.Fatalf("directory %v, %v; want 3 replicas", dirReply, err)
	}
	views := 0
	for _, s := range dirReply.Servers {
		if s.Role == "view" {
			views++
		}
	}
	if views != 1 {
		t.Fatalf("directory servers %v; want the view recorded once", dirReply.Servers)
	}
	_, err = admin.ChangeVersion(ctxFor(t, 10*time.Second), &wire.ChangeVersionRequest{Version: 2})
	wantCode(t, "upgrading past a recorded view", err, codes.FailedPrecondition, "view/127.0.0.1:1")
	if reply, err := admin.ForgetServer(ctxFor(t, 5*time.Second), &wire.ForgetServerRequest{Name: "view/127.0.0.1:1"}); err != nil || !reply.Forgotten {
		t.Fatalf("forgetting the view: %v, %v", reply, err)
	}
	if reply, err := admin.ChangeVersion(ctxFor(t, 10*time.Second), &wire.ChangeVersionRequest{Version: 2}); err != nil || reply.Version != 2 {
		t.Fatalf("upgrading after forgetting the view: %v, %v", reply, err)
	}
}
