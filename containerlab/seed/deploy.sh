#!/usr/bin/env bash
# Deploys lab seed on a Docker host (rendered by `rackbgp lab render` from lab/seed.yaml):
# containerlab builds the fabric (rackbgp spine and leaves) and the kind cluster, then Calico is
# installed in route-reflector mode the way the guide does it.
# Needs docker, containerlab, kind, kubectl, calicoctl and the image rackbgp:latest
# (docker build -t rackbgp:latest . in the rackbgp repository).
set -euo pipefail
cd "$(dirname "$0")"
CALICO_VERSION=${CALICO_VERSION:-v3.28.2}
export DATASTORE_TYPE=kubernetes

# The API token of the switches: actions need it, reads and /metrics do not. Made once, kept;
# world-readable because the daemon runs as the rackbgp user inside the containers.
if [ ! -s api-token ]; then od -An -tx1 -N16 /dev/urandom | tr -d ' \n' > api-token; fi
chmod 644 api-token

# The fabric and the cluster (kind without a CNI; nodes stay NotReady until Calico runs).
sudo containerlab deploy -t seed.clab.yml --reconfigure
kubectl config use-context kind-seed

# Calico, BGP only: autodetect the node address on eth1 (the fabric), pools without encapsulation.
kubectl apply -f "https://raw.githubusercontent.com/projectcalico/calico/${CALICO_VERSION}/manifests/calico.yaml"
kubectl -n kube-system set env daemonset/calico-node IP_AUTODETECTION_METHOD=interface=eth1 CALICO_IPV4POOL_CIDR=10.233.64.0/18 CALICO_IPV4POOL_BLOCK_SIZE=26 CALICO_IPV4POOL_IPIP=Never CALICO_IPV4POOL_VXLAN=Never
kubectl -n kube-system rollout status daemonset/calico-node --timeout=300s

# 1. BGPConfiguration: mesh off, default AS.
calicoctl apply -f calico/01-bgpconfiguration.yaml
# 2. Nodes: AS per rack, routeReflectorClusterID = own IP on reflectors; labels rr-group / rr-id.
calicoctl patch node seed-control-plane --patch '{"spec":{"bgp":{"asNumber":64512,"routeReflectorClusterID":"172.20.0.11"}}}'
calicoctl patch node seed-worker --patch '{"spec":{"bgp":{"asNumber":64512,"routeReflectorClusterID":"172.20.0.12"}}}'
calicoctl patch node seed-worker2 --patch '{"spec":{"bgp":{"asNumber":64512}}}'
calicoctl patch node seed-worker3 --patch '{"spec":{"bgp":{"asNumber":64513,"routeReflectorClusterID":"173.20.0.11"}}}'
calicoctl patch node seed-worker4 --patch '{"spec":{"bgp":{"asNumber":64513,"routeReflectorClusterID":"173.20.0.12"}}}'
calicoctl patch node seed-worker5 --patch '{"spec":{"bgp":{"asNumber":64513}}}'
kubectl label node seed-control-plane rr-group=rr1 rr-id=rr1 --overwrite
kubectl label node seed-worker rr-group=rr1 rr-id=rr1 --overwrite
kubectl label node seed-worker2 rr-group=rr1 --overwrite
kubectl label node seed-worker3 rr-group=rr2 rr-id=rr2 --overwrite
kubectl label node seed-worker4 rr-group=rr2 rr-id=rr2 --overwrite
kubectl label node seed-worker5 rr-group=rr2 --overwrite
# 3. BGPPeers: clients → reflectors, reflector mesh, reflectors → leaf.
calicoctl apply -f calico/03-bgppeers.yaml
# 4. IPPool without encapsulation.
calicoctl apply -f calico/04-ippool.yaml

echo "Check: calicoctl node status on a reflector, the leaves' kernel routes:"
echo "  kubectl -n kube-system exec \$(kubectl -n kube-system get pod -l k8s-app=calico-node --field-selector spec.nodeName=seed-control-plane -o name) -c calico-node -- birdcl -s /var/run/calico/bird.ctl show protocols"
echo "  docker exec clab-seed-leaf1 ip route"
echo "  docker exec clab-seed-leaf1 rackbgp show summary"
echo "Metrics: Prometheus at http://localhost:9090 scrapes clab-seed-spine:9179, clab-seed-leaf1:9179, clab-seed-leaf2:9179"
echo "Actions over the API need the token in api-token, e.g.:"
echo "  curl -X POST -H \"Authorization: Bearer \$(cat api-token)\" http://clab-seed-leaf1:50179/api/reload"
echo "Remove: sudo containerlab destroy -t seed.clab.yml --cleanup"
