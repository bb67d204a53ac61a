// Package main builds upstream etcd unchanged; its own module keeps etcd's grpc/otel versions apart from Kubernetes'.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
