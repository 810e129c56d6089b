package logserver

import (
	"context"
	"errors"
	"sort"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/wire"
)

// adminService is the wire.LogAdmin gRPC service of a replica. It is a
// type of its own because its method names collide with Server's.
type adminService struct {
	wire.UnimplementedLogAdminServer
	s *Server
}

// adminStatus converts a management error into a gRPC status: refusals are
// FailedPrecondition (retrying will not help), a version the replica does
// not know InvalidArgument, the rest Unavailable.
func adminStatus(ctx context.Context, err error) error {
	for _, refusal := range []error{ErrNoFloors, ErrPastFloor, ErrFloorBeyondLast, ErrRemovedID, ErrMember,
		ErrNotMember, ErrLastMember, ErrMembershipChanged, ErrNewerVersion, ErrOlderServer, ErrDirectoryRefused} {
		if errors.Is(err, refusal) {
			return status.Error(codes.FailedPrecondition, err.Error())
		}
	}
	if errors.Is(err, ErrUnknownVersion) {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return appendStatus(ctx, err)
}

func (a *adminService) Truncate(ctx context.Context, req *wire.TruncateRequest) (*wire.TruncateReply, error) {
	if req.Mode != wire.TruncateMode_TRUNCATE_AUTO && req.Before == 0 {
		return nil, status.Error(codes.InvalidArgument, "truncate needs an index to keep entries from (before > 0)")
	}
	res, err := a.s.Truncate(ctx, req.Mode, req.Before)
	if err != nil {
		return nil, adminStatus(ctx, err)
	}
	return &wire.TruncateReply{FirstIndex: res.FirstIndex, LastIndex: res.LastIndex}, nil
}

func (a *adminService) SetFloor(ctx context.Context, req *wire.SetFloorRequest) (*wire.SetFloorReply, error) {
	if req.Cluster == "" || len(req.Cluster) > maxClusterName {
		return nil, status.Errorf(codes.InvalidArgument, "the cluster name must be 1 to %d bytes", maxClusterName)
	}
	if err := a.s.SetFloor(ctx, req.Cluster, req.Index, req.Remove); err != nil {
		return nil, adminStatus(ctx, err)
	}
	return &wire.SetFloorReply{}, nil
}

func (a *adminService) Floors(ctx context.Context, _ *wire.FloorsRequest) (*wire.FloorsReply, error) {
	floors, ext, err := a.s.Floors(ctx)
	if err != nil {
		return nil, adminStatus(ctx, err)
	}
	reply := &wire.FloorsReply{FirstIndex: ext.FirstIndex, LastIndex: ext.LastIndex}
	for c, f := range floors {
		reply.Floors = append(reply.Floors, &wire.Floor{Cluster: c, Index: f})
	}
	sort.Slice(reply.Floors, func(i, j int) bool { return reply.Floors[i].Cluster < reply.Floors[j].Cluster })
	return reply, nil
}

func (a *adminService) Members(ctx context.Context, _ *wire.MembersRequest) (*wire.MembersReply, error) {
	return a.members(ctx)
}

func (a *adminService) members(ctx context.Context) (*wire.MembersReply, error) {
	m, err := a.s.Members(ctx)
	if err != nil {
		return nil, adminStatus(ctx, err)
	}
	return &wire.MembersReply{Members: toMembers(m.Members, a.s.sm.adminState().replicaRecords()), Removed: m.Removed, LeaderId: m.LeaderID}, nil
}

func (a *adminService) AddReplica(ctx context.Context, req *wire.AddReplicaRequest) (*wire.MembersReply, error) {
	if req.Id == 0 || req.RaftAddr == "" {
		return nil, status.Error(codes.InvalidArgument, "adding a replica needs a positive ID and its Raft address")
	}
	if req.GrpcAddr != "" {
		// Recorded first, so clients can find the replica as soon as it
		// serves; a replica that never gets added leaves a record that its
		// removal (or another record for its ID) replaces.
		if err := a.s.SetReplicaAddress(ctx, req.Id, ReplicaRecord{GRPCAddr: req.GrpcAddr, DC: req.Dc}); err != nil {
			return nil, adminStatus(ctx, err)
		}
	}
	if err := a.s.AddReplica(ctx, req.Id, req.RaftAddr); err != nil {
		return nil, adminStatus(ctx, err)
	}
	return a.members(ctx)
}

func (a *adminService) RemoveReplica(ctx context.Context, req *wire.RemoveReplicaRequest) (*wire.MembersReply, error) {
	if req.Id == 0 {
		return nil, status.Error(codes.InvalidArgument, "removing a replica needs its positive ID")
	}
	if err := a.s.RemoveReplica(ctx, req.Id); err != nil {
		return nil, adminStatus(ctx, err)
	}
	return a.members(ctx)
}

func (a *adminService) ChangeVersion(ctx context.Context, req *wire.ChangeVersionRequest) (*wire.ChangeVersionReply, error) {
	res, err := a.s.ChangeVersion(ctx, req.Version)
	if err != nil {
		return nil, adminStatus(ctx, err)
	}
	return &wire.ChangeVersionReply{Version: res.Version, Index: res.Index}, nil
}

func (a *adminService) Directory(ctx context.Context, _ *wire.DirectoryRequest) (*wire.DirectoryReply, error) {
	replicas, servers, err := a.s.Directory(ctx)
	if err != nil {
		return nil, adminStatus(ctx, err)
	}
	reply := &wire.DirectoryReply{}
	for id, r := range replicas {
		reply.Replicas = append(reply.Replicas, &wire.Member{Id: id, GrpcAddr: r.GRPCAddr, Dc: r.DC})
	}
	sort.Slice(reply.Replicas, func(i, j int) bool { return reply.Replicas[i].Id < reply.Replicas[j].Id })
	for _, r := range servers {
		reply.Servers = append(reply.Servers, toWireServer(r))
	}
	return reply, nil
}

func toWireServer(r ServerRecord) *wire.ServerRecord {
	return &wire.ServerRecord{Role: r.Role, GrpcAddr: r.GRPCAddr, Cluster: r.Cluster, Dc: r.DC,
		MaxLogVersion: r.MaxLogVersion, Since: r.Since, Name: r.Name()}
}

func (a *adminService) SetReplicaAddress(ctx context.Context, req *wire.SetReplicaAddressRequest) (*wire.SetReplicaAddressReply, error) {
	if req.Id == 0 || req.GrpcAddr == "" {
		return nil, status.Error(codes.InvalidArgument, "recording a replica's address needs its positive ID and gRPC address")
	}
	if err := a.s.SetReplicaAddress(ctx, req.Id, ReplicaRecord{GRPCAddr: req.GrpcAddr, DC: req.Dc}); err != nil {
		return nil, adminStatus(ctx, err)
	}
	return &wire.SetReplicaAddressReply{}, nil
}

func (a *adminService) RecordServer(ctx context.Context, req *wire.ServerRecord) (*wire.RecordServerReply, error) {
	if req.Role == "" || req.GrpcAddr == "" || req.MaxLogVersion == 0 {
		return nil, status.Error(codes.InvalidArgument, "recording a server needs its role, gRPC address and newest log version")
	}
	ok, err := a.s.RecordServer(ctx, ServerRecord{Role: req.Role, GRPCAddr: req.GrpcAddr, Cluster: req.Cluster,
		DC: req.Dc, MaxLogVersion: req.MaxLogVersion})
	if err != nil {
		return nil, adminStatus(ctx, err)
	}
	return &wire.RecordServerReply{Recorded: ok}, nil
}

func (a *adminService) ForgetServer(ctx context.Context, req *wire.ForgetServerRequest) (*wire.ForgetServerReply, error) {
	if req.Name == "" {
		return nil, status.Error(codes.InvalidArgument, "forgetting a server needs its name (role/grpc_addr)")
	}
	ok, err := a.s.ForgetServer(ctx, req.Name)
	if err != nil {
		return nil, adminStatus(ctx, err)
	}
	return &wire.ForgetServerReply{Forgotten: ok}, nil
}
