// Device topologies beyond one uniform all-to-all link: H hosts × G GPUs per host, one link
// between two GPUs of the same host and another between GPUs of different hosts. Devices are
// numbered host by host (device d sits on host ⌊d / G⌋), so filling devices in order — m-TOPO,
// sequential — fills one host before the next.
//
// Spec: `HxG:INTRA/INTER`, each link a preset of interconnect.ts or `LATENCY_US:GBPS`, e.g.
// `2x4:nvlink4/ib200`, `4x8:nvlink3/ib400`, `2x2:5:450/5:25`. With one host (or one GPU per host)
// only one kind of pair exists and one link is enough: `1x8:nvlink4`, `8x1:ib200`.
import { OpplaceError } from '../errors';
import { INTERCONNECT_PRESETS, Link, parseInterconnect, transferTimeUs } from './interconnect';

export interface Topology {
  /** The spec as given (trimmed), recorded in the plan's options. */
  spec: string;
  hosts: number;
  gpusPerHost: number;
  /** hosts × gpusPerHost. */
  devices: number;
  /** The distinct kinds of link, indexed by `pairLink`: [intra-host, inter-host]. */
  links: Link[];
  /** devices × devices: index into `links` of the link between a and b (row a); -1 on the diagonal. */
  pairLink: Int8Array;
}

export const INTRA_HOST = 0;
export const INTER_HOST = 1;

export function hostOf(topology: Topology, device: number): number {
  return Math.floor(device / topology.gpusPerHost);
}

/** The link between two different devices (throws on the same device: nothing is transferred). */
export function linkBetween(topology: Topology, a: number, b: number): Link {
  const i = topology.pairLink[a * topology.devices + b];
  if (a === b || i === undefined || i < 0) throw new Error(`internal: no link between devices ${a} and ${b}`);
  return topology.links[i];
}

/** Transfer time of `bytes` from device a to device b. */
export function topologyTransferUs(topology: Topology, bytes: number, a: number, b: number): number {
  return transferTimeUs(bytes, linkBetween(topology, a, b));
}

function topologyOf(spec: string, hosts: number, gpusPerHost: number, intra: Link, inter: Link): Topology {
  const devices = hosts * gpusPerHost;
  const pairLink = new Int8Array(devices * devices);
  for (let a = 0; a < devices; a++) {
    for (let b = 0; b < devices; b++) {
      pairLink[a * devices + b] = a === b ? -1 : Math.floor(a / gpusPerHost) === Math.floor(b / gpusPerHost) ? INTRA_HOST : INTER_HOST;
    }
  }
  return { spec, hosts, gpusPerHost, devices, links: [intra, inter], pairLink };
}

const SPEC_HELP = 'expected HOSTSxGPUS:INTRA/INTER, e.g. 2x4:nvlink4/ib200 or 2x2:5:450/5:25';

function parseLink(text: string, spec: string, which: string): Link {
  if (text.trim() === '') throw new OpplaceError(`topology "${spec}": the ${which} link is empty (${SPEC_HELP})`);
  let link: Link;
  try {
    link = parseInterconnect(text);
  } catch {
    throw new OpplaceError(`topology "${spec}": bad ${which} link "${text.trim()}" (presets: ${linkPresets()}; or LATENCY_US:GBPS with GBPS > 0)`);
  }
  // `file` is a per-tensor cost from the model file, not a kind of link between two GPUs
  if (link.fromFile) throw new OpplaceError(`topology "${spec}": the ${which} link cannot be "file" (presets: ${linkPresets()}; or LATENCY_US:GBPS)`);
  return link;
}

const linkPresets = () =>
  Object.keys(INTERCONNECT_PRESETS)
    .filter((k) => !INTERCONNECT_PRESETS[k].fromFile)
    .join(', ');

/**
 * Parses a topology spec. When `devices` is given it must equal hosts × GPUs per host (callers
 * that have no device count take `topology.devices`, bounded by `maxDevices` — the options
 * module's cap). Both are checked before the devices² pair table is allocated.
 */
export function parseTopology(spec: string, devices?: number, maxDevices = Infinity): Topology {
  if (typeof spec !== 'string') throw new OpplaceError(`topology must be a string like 2x4:nvlink4/ib200, got ${String(spec)}`);
  const text = spec.trim();
  const m = /^([0-9]+)\s*[xX×]\s*([0-9]+)\s*:(.*)$/.exec(text);
  if (!m) throw new OpplaceError(`topology "${text}": ${SPEC_HELP}`);
  const hosts = Number(m[1]);
  const gpusPerHost = Number(m[2]);
  if (hosts < 1 || gpusPerHost < 1) throw new OpplaceError(`topology "${text}": hosts and GPUs per host must be at least 1, got ${hosts}x${gpusPerHost}`);
  if (hosts * gpusPerHost > maxDevices)
    throw new OpplaceError(`topology "${text}": ${hosts}x${gpusPerHost} = ${hosts * gpusPerHost} devices, at most ${maxDevices} are supported`);
  if (devices !== undefined && devices !== hosts * gpusPerHost) {
    throw new OpplaceError(
      `topology "${text}" has ${hosts} × ${gpusPerHost} = ${hosts * gpusPerHost} devices but ${devices} devices were asked for (leave out --devices, or make it ${hosts * gpusPerHost})`,
    );
  }
  const parts = m[3].split('/');
  if (parts.length > 2) throw new OpplaceError(`topology "${text}": at most two links (inside a host / between hosts), got ${parts.length}`);
  let intra: Link;
  let inter: Link;
  if (parts.length === 1) {
    // One link is only unambiguous when only one kind of pair exists.
    if (hosts > 1 && gpusPerHost > 1) {
      throw new OpplaceError(
        `topology "${text}": ${hosts} hosts of ${gpusPerHost} GPUs need a link inside a host and one between hosts, e.g. ${hosts}x${gpusPerHost}:${m[3].trim() || 'nvlink4'}/ib200`,
      );
    }
    intra = inter = parseLink(parts[0], text, hosts > 1 ? 'inter-host' : 'intra-host');
  } else {
    intra = parseLink(parts[0], text, 'intra-host');
    inter = parseLink(parts[1], text, 'inter-host');
  }
  return topologyOf(text, hosts, gpusPerHost, intra, inter);
}
