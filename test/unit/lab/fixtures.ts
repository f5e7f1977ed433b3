/** The shipped seed lab and a small valid lab that tests edit to break one thing at a time. */
import { join } from 'node:path';

export const SEED = join(import.meta.dirname, '../../../lab/seed.yaml');
export const DUAL = join(import.meta.dirname, '../../../lab/dual-stack.yaml');

export const MINI = `name: mini
calico: { pool: 10.244.0.0/16 }
spines: [{ name: sp, asn: 65000 }]
leaves:
  - { name: la, asn: 65001, uplinks: [{ spine: sp, subnet: 10.0.1.0/30 }] }
  - { name: lb, asn: 65002, uplinks: [{ spine: sp, subnet: 10.0.2.0/30 }] }
racks:
  - name: ra
    leaf: la
    subnet: 10.1.1.0/24
    asn: 64512
    nodes: [{ name: n1, rr-id: ra }, { name: n2 }]
  - name: rb
    leaf: lb
    subnet: 10.1.2.0/24
    asn: 64513
    nodes: [{ name: n3, rr-id: rb }]
`;
