import { describe, expect, it } from 'vitest';
import { debianBird16, renderBirdConfig } from '../../../src/lab/calico-bird.js';
import { parseSelector } from '../../../src/lab/calico-selector.js';
import { bgpFilterFunctionName, hashToIPv4, memkvFuncs } from '../../../src/lab/confd.js';
import { confdCache, resourcesFromManifests } from '../../../src/lab/confd-keys.js';
import { GoTemplate, goSprintf } from '../../../src/lab/go-template.js';

const run = (src: string, funcs = {}, data?: unknown) =>
  new GoTemplate(src, 't.template', funcs).execute(data);

describe('Go text/template subset', () => {
  it('trims whitespace on the marked side only, and drops comments', () => {
    expect(run('a  {{- "b" -}}  c')).toBe('abc');
    expect(run('a\n{{- "b"}}\nc')).toBe('ab\nc');
    expect(run('a {{/* gone\n over lines */}} b')).toBe('a  b');
    expect(run('a\n  {{- /* gone */ -}}\n  b')).toBe('ab');
  });

  it('if / else if / else, with Go truth (empty string, 0, empty list are false)', () => {
    const t = '{{if eq .x 1}}one{{else if eq .x 2}}two{{else}}many{{end}}';
    expect([1, 2, 3].map((x) => run(t, {}, { x }))).toEqual(['one', 'two', 'many']);
    expect(
      run('{{if ""}}y{{else}}n{{end}}{{if 0}}y{{else}}n{{end}}{{if .l}}y{{else}}n{{end}}', {}, { l: [] }),
    ).toBe('nnn');
  });

  it('range with variables, an else, and variables scoped to their block; = assigns the outer one', () => {
    expect(run('{{range $i, $v := .}}{{$i}}={{$v}};{{end}}', {}, ['a', 'b'])).toBe('0=a;1=b;');
    expect(run('{{range .}}x{{else}}empty{{end}}', {}, [])).toBe('empty');
    expect(run('{{$s := "a"}}{{range .}}{{$s = .}}{{end}}{{$s}}', {}, ['b', 'c'])).toBe('c');
    expect(() => run('{{if true}}{{$in := 1}}{{end}}{{$in}}')).toThrow(
      /t.template:1: undefined variable "\$in"/,
    );
  });

  it('and / or return the deciding value and stop early; parenthesised pipelines take fields', () => {
    const boom = () => {
      throw new Error('evaluated');
    };
    expect(run('{{or (and false (boom)) "dflt"}}', { boom })).toBe('dflt');
    expect(
      run('{{(json "{\\"enabled\\": true}").enabled}}', { json: (s: unknown) => JSON.parse(String(s)) }),
    ).toBe('true');
    expect(run('{{"x" | printf "%s-%s" "a"}}')).toBe('a-x');
  });

  it('define / template, print and printf as Go formats them', () => {
    expect(run('{{define "T"}}[{{.}}]{{end}}{{template "T" "v"}}{{template "T"}}')).toBe('[v][<no value>]');
    expect(run('{{print " port " 179}}|{{print 1 2}}')).toBe(' port 179|1 2');
    expect(goSprintf('%s_port_%.0f', '10_0_0_1', 1790)).toBe('10_0_0_1_port_1790');
  });

  it('fails loudly with the template line on what it does not implement', () => {
    expect(() => run('a\nb {{lookupIP "x"}}')).toThrow(/t.template:2: function "lookupIP" not defined/);
    expect(() => run('{{block "x" .}}{{end}}')).toThrow(/t.template:1: \{\{block\}\} is not implemented/);
    expect(() => run('{{if true}}open')).toThrow(/missing \{\{end\}\}/);
    expect(() => run('x\n{{getv "/nope"}}', memkvFuncs(new Map()))).toThrow(
      /t.template:2: error calling getv: key does not exist: \/nope/,
    );
    expect(() => run('{{.a.b}}', {}, { a: undefined })).toThrow(/t.template:1: nil pointer/);
  });
});

describe("confd's functions and datastore", () => {
  it('memkv ls / lsdir / gets as Calico templates use them', () => {
    const f = memkvFuncs(
      new Map([
        ['/bgp/v1/host/a/ip_addr_v4', '10.0.0.1'],
        ['/bgp/v1/host/b/ip_addr_v4', '10.0.0.2'],
        ['/bgp/v1/host/b/peer_v4/10.0.0.9', '{}'],
        ['/bgp/v1/global/as_num', '64512'],
      ]),
    );
    expect(f.lsdir('/bgp/v1/host')).toEqual(['a', 'b']);
    expect(f.ls('/bgp/v1/host/b/peer_v4')).toEqual(['10.0.0.9']);
    expect((f.gets('/bgp/v1/host/*/ip_addr_v4') as { Key: string }[]).map((x) => x.Key)).toEqual([
      '/bgp/v1/host/a/ip_addr_v4',
      '/bgp/v1/host/b/ip_addr_v4',
    ]);
    expect(f.getv('/bgp/v1/x', 'd')).toBe('d');
  });

  it('hashToIPv4 and BIRD filter function names as template_funcs.go computes them', () => {
    expect(hashToIPv4('kube-master')).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(Number(hashToIPv4('kube-master').split('.')[0])).toBeLessThan(224);
    expect(bgpFilterFunctionName('f1', 'Import', '4')).toBe("'bgp_f1_importFilterV4'");
    const long = bgpFilterFunctionName('x'.repeat(80), 'export', '6');
    expect(long.length - 2).toBe(64);
  });

  it('selectors: has, ==, !=, !, &&, || and all(); anything else is an error', () => {
    const s = parseSelector("has(rr-id) && rr-group == 'rr1'");
    expect(s({ 'rr-id': 'x', 'rr-group': 'rr1' })).toBe(true);
    expect(s({ 'rr-group': 'rr1' })).toBe(false);
    expect(parseSelector("!has(a) || b != 'c'")({ a: '1', b: 'c' })).toBe(false);
    expect(parseSelector('all()')({})).toBe(true);
    expect(() => parseSelector("a in {'x'}")).toThrow(/operator in is not implemented/);
  });

  it('passive on a Global peer only when it is a Calico node with the higher IP (compared as strings)', () => {
    const conf = (me: string, peer: string) =>
      renderBirdConfig({
        name: 'n',
        family: 4,
        ip: me,
        routerId: me,
        asn: 64512,
        pools: ['10.244.0.0/16'],
        peers: [{ ip: peer, asn: 64512, calicoNode: true }],
      });
    expect(conf('10.0.0.2', '10.0.0.10')).not.toContain('passive on;'); // "10.0.0.10" < "10.0.0.2"
    expect(conf('10.0.0.10', '10.0.0.2')).toContain('passive on;');
    // A node-specific peer never gets passive.
    const node = renderBirdConfig({
      name: 'n',
      family: 4,
      ip: '10.0.0.1',
      routerId: '10.0.0.1',
      asn: 64512,
      pools: ['10.244.0.0/16'],
      peers: [{ ip: '10.0.0.9', asn: 64512, kind: 'Node', calicoNode: true }],
    });
    expect(node).toContain('protocol bgp Node_10_0_0_9 from bgp_template {');
    expect(node).not.toContain('passive on;');
  });

  it('reverse peerings: a selector BGPPeer configures both ends; the reflector side treats the client as rr client', () => {
    const cache = confdCache(
      resourcesFromManifests([
        { kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { nodeToNodeMeshEnabled: false } },
        {
          kind: 'Node',
          metadata: { name: 'rr', labels: { rr: 'y' } },
          spec: { bgp: { ipv4Address: '10.0.0.1/24', routeReflectorClusterID: '1.1.1.1' } },
        },
        { kind: 'Node', metadata: { name: 'c', labels: {} }, spec: { bgp: { ipv4Address: '10.0.0.2/24' } } },
        {
          kind: 'BGPPeer',
          metadata: { name: 'p' },
          spec: { nodeSelector: '!has(rr)', peerSelector: 'has(rr)' },
        },
      ]),
    );
    expect(JSON.parse(cache.get('/calico/bgp/v1/host/c/peer_v4/10.0.0.1')!)).toMatchObject({
      ip: '10.0.0.1',
      as_num: '64512',
      rr_cluster_id: '1.1.1.1',
      calico_node: false,
    });
    expect(JSON.parse(cache.get('/calico/bgp/v1/host/rr/peer_v4/10.0.0.2')!)).toMatchObject({
      rr_cluster_id: '',
    });
    expect(cache.get('/calico/bgp/v1/host/c/network_v4')).toBe('10.0.0.0/24');
    expect(() =>
      confdCache(
        resourcesFromManifests([
          {
            kind: 'BGPPeer',
            metadata: { name: 'p' },
            spec: { peerIP: '1.1.1.1', localWorkloadSelector: 'a' },
          },
        ]),
      ),
    ).toThrow(/BGPPeer p: field localWorkloadSelector is not implemented/);
  });

  it("Debian's BIRD 1.6: empty krt_tunnel lines are dropped, an IP-in-IP tunnel is refused", () => {
    expect(
      debianBird16(
        'bird_ipam.cfg',
        '  if ( net ~ 10.0.0.0/8 ) then {\n    krt_tunnel = "";\n    accept;\n  }\n',
      ),
    ).toBe('  if ( net ~ 10.0.0.0/8 ) then {\n    accept;\n  }\n');
    expect(() => debianBird16('bird_ipam.cfg', '    krt_tunnel = "tunl0";\n')).toThrow(
      /needs Calico's BIRD fork/,
    );
  });
});
