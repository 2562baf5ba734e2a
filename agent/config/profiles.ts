import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import {
  type ConfigPath,
  type ConfigProblem,
  closestMatches,
  didYouMean,
  formatPath,
} from './configErrors.js';
import { type IssueReport, markGeneric, reportIssue } from './issueMessages.js';
import { METER_PROFILE_KIND } from './meterProfiles.js';
import type { ProfileKind } from './profileKind.js';
import { PROFILE_META_KEYS, profileSchema } from './profileSchema.js';
import { checkYaml } from './yamlErrors.js';
import { nodeAt, positionOf, sourceOf } from './yamlPositions.js';

/**
 * Analyzer profiles applied to the configuration before validation: a device with
 * `profile: thermo/i-series-43i` starts from drivers/profiles/thermo/i-series-43i.yaml.
 *
 * Merge rules (on the raw YAML data, so the merged device is validated like any other):
 * - a setting of the device overrides the profile's; mappings merge key by key (so
 *   `ascii: { prefixByte: 178 }` changes only the prefix byte), lists replace;
 * - channels merge by id: a device channel with a profile channel's id changes only the keys it
 *   gives; other device channels are added after the profile's;
 * - null removes a profile setting (`status: null`).
 * Problems are reported where they can be fixed: inside the profile file for a broken profile, at
 * the device's own line for its settings, at its `profile:` line for settings that come from it.
 */

export interface LoadedProfile {
  name: string;
  file: string;
  /** Device settings of the profile (raw YAML data, without the describing keys). */
  settings: Record<string, unknown>;
  /** Problems in the profile file itself; empty when it is valid. */
  problems: ConfigProblem[];
}

export interface ProfileLibrary {
  readonly dir: string;
  /** Profile names ("vendor/model"), sorted. */
  names(): string[];
  /** The profile, read and validated once; undefined when there is no such file. */
  get(name: string): LoadedProfile | undefined;
}

/** drivers/profiles of the package, found from this file (works from the sources and from dist/). */
export function defaultProfilesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('station-agent: no package.json above the config loader');
    dir = parent;
  }
  return join(dir, 'drivers', 'profiles');
}

export function openProfileLibrary(dir: string = defaultProfilesDir()): ProfileLibrary {
  const cache = new Map<string, LoadedProfile>();
  return {
    dir,
    names: () => listProfiles(dir),
    get(name) {
      const cached = cache.get(name);
      if (cached) return cached;
      const file = join(dir, `${name}.yaml`);
      // Meter profiles live one level deeper (dlt645/<vendor>/<model>) in the driver's own format.
      const meter = METER_PROFILE_NAME.test(name);
      if ((!PROFILE_NAME.test(name) && !meter) || !existsSync(file)) return undefined;
      const loaded = meter ? readProfile(name, file, METER_PROFILE_KIND) : readProfile(name, file);
      cache.set(name, loaded);
      return loaded;
    },
  };
}

const PROFILE_NAME = /^[^/\\.][^/\\]*\/[^/\\.][^/\\]*$/;
const METER_PROFILE_NAME = /^dlt645\/[^/\\.][^/\\]*\/[^/\\.][^/\\]*$/;

function listProfiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const names: string[] = [];
  const yamlIn = (sub: string) => readdirSync(join(dir, sub)).filter((f) => f.endsWith('.yaml'));
  for (const vendor of readdirSync(dir, { withFileTypes: true })) {
    if (!vendor.isDirectory()) continue;
    for (const f of yamlIn(vendor.name)) names.push(`${vendor.name}/${f.slice(0, -'.yaml'.length)}`);
  }
  const meters = join(dir, 'dlt645');
  for (const vendor of existsSync(meters) ? readdirSync(meters, { withFileTypes: true }) : []) {
    if (!vendor.isDirectory()) continue;
    for (const f of yamlIn(`dlt645/${vendor.name}`))
      names.push(`dlt645/${vendor.name}/${f.slice(0, -'.yaml'.length)}`);
  }
  return names.sort();
}

const ANALYZER_PROFILE_KIND: ProfileKind = {
  schema: profileSchema,
  settings(data) {
    const settings = { ...data };
    for (const key of PROFILE_META_KEYS) delete settings[key];
    return settings;
  },
};

/** Reads and validates one profile file, with every problem at its line and column. */
export function readProfile(
  name: string,
  file: string,
  kind: ProfileKind = ANALYZER_PROFILE_KIND,
): LoadedProfile {
  const text = readFileSync(file, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  const yaml = checkYaml(doc, text, file, lineCounter);
  if (yaml.fatal) return { name, file, settings: {}, problems: yaml.problems };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const message = `cannot expand the YAML: ${err instanceof Error ? err.message : String(err)}`;
    return { name, file, settings: {}, problems: [{ file, line: 1, column: 1, path: '', message }] };
  }
  const problems = [...yaml.problems];
  const parsed = kind.schema.safeParse(data, { error: markGeneric });
  const ctx = { data, root: kind.schema, sourceAt: (p: ConfigPath) => sourceOf(nodeAt(doc, p).node, text) };
  for (const issue of parsed.error?.issues ?? []) {
    for (const report of reportIssue(issue, ctx)) {
      const found = nodeAt(doc, report.path);
      const node = report.at === 'key' ? (found.keyNode ?? found.node) : found.node;
      problems.push({
        file,
        ...positionOf(node, lineCounter),
        path: formatPath(report.path),
        message: report.message,
        ...(report.hint ? { hint: report.hint } : {}),
      });
    }
  }
  const settings = isRecord(data) ? kind.settings(data) : {};
  return { name, file, settings, problems };
}

/** Where a merged channel came from: the device's list (its index there) or only the profile. */
type ChannelOrigin = { from: 'device'; index: number } | { from: 'profile'; index: number };

interface MergedDevice {
  profile: LoadedProfile;
  /** The device as written in the file. */
  own: Record<string, unknown>;
  /** Undefined when the device's channels were not a list (then they are validated as written). */
  channelOrigins: ChannelOrigin[] | undefined;
}

export interface AppliedProfiles {
  /** The configuration with every device's profile merged in. */
  data: unknown;
  /** Problems inside the profile files used (at the profile's file, line and column). */
  fileProblems: ConfigProblem[];
  /** Problems at a setting of the configuration file (an unknown profile). */
  problems: { path: ConfigPath; message: string; hint?: string }[];
  /**
   * Moves a report about the merged configuration to where it can be fixed in the configuration
   * file; undefined when it is a consequence of a broken profile (already reported in that file).
   */
  locate(report: IssueReport): IssueReport | undefined;
}

export function applyProfiles(data: unknown, library: ProfileLibrary): AppliedProfiles {
  const merged = new Map<number, MergedDevice>();
  const unknown = new Map<number, Record<string, unknown>>();
  const fileProblems: ConfigProblem[] = [];
  const problems: AppliedProfiles['problems'] = [];
  const reported = new Set<string>();
  const devices = isRecord(data) && Array.isArray(data.devices) ? data.devices : undefined;

  const out = devices?.map((device: unknown, i) => {
    if (!isRecord(device) || typeof device.profile !== 'string') return device;
    const profile = library.get(device.profile);
    if (!profile) {
      const names = library.names();
      problems.push({
        path: ['devices', i, 'profile'],
        message: `unknown profile "${device.profile}" (profiles: ${names.join(', ') || `none in ${library.dir}`})`,
        ...withHint(didYouMean(closestMatches(device.profile, names, 4))),
      });
      unknown.set(i, device);
      return device;
    }
    if (!reported.has(profile.name)) fileProblems.push(...profile.problems);
    reported.add(profile.name);
    const { value, channelOrigins } = mergeDevice(profile.settings, device);
    merged.set(i, { profile, own: device, channelOrigins });
    return value;
  });

  return {
    data: out && isRecord(data) ? { ...data, devices: out } : data,
    fileProblems,
    problems,
    locate: (report) => {
      // A setting missing from a device whose profile is unknown was probably to come from it.
      const i = report.path[0] === 'devices' && typeof report.path[1] === 'number' ? report.path[1] : -1;
      const own = unknown.get(i);
      if (own && !has(own, report.path.slice(2))) return undefined;
      return locate(report, merged);
    },
  };
}

function mergeDevice(
  profile: Record<string, unknown>,
  device: Record<string, unknown>,
): { value: Record<string, unknown>; channelOrigins: ChannelOrigin[] | undefined } {
  const { channels: ownChannels, ...ownRest } = device;
  const value = deepMerge(profile, ownRest);
  const profileChannels = Array.isArray(profile.channels) ? profile.channels : [];
  if (ownChannels === undefined) {
    if (profile.channels !== undefined) value.channels = profile.channels;
    return { value, channelOrigins: profileChannels.map((_, index) => ({ from: 'profile', index })) };
  }
  if (!Array.isArray(ownChannels)) {
    value.channels = ownChannels;
    return { value, channelOrigins: undefined };
  }
  const channels: unknown[] = [...profileChannels];
  const origins: ChannelOrigin[] = profileChannels.map((_, index) => ({ from: 'profile', index }));
  const claimed = new Set<number>();
  ownChannels.forEach((ch, index) => {
    const at = isRecord(ch)
      ? profileChannels.findIndex((p, k) => !claimed.has(k) && isRecord(p) && p.id === ch.id)
      : -1;
    if (at >= 0 && isRecord(ch)) {
      claimed.add(at);
      channels[at] = deepMerge(profileChannels[at] as Record<string, unknown>, ch);
      origins[at] = { from: 'device', index };
    } else {
      channels.push(ch);
      origins.push({ from: 'device', index });
    }
  });
  value.channels = channels;
  return { value, channelOrigins: origins };
}

/** `over` on top of `base`: mappings merge by key, anything else replaces, null removes. */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === null) delete out[key];
    else if (isRecord(value) && isRecord(out[key]))
      out[key] = deepMerge(out[key] as Record<string, unknown>, value);
    else out[key] = value;
  }
  return out;
}

function locate(report: IssueReport, merged: ReadonlyMap<number, MergedDevice>): IssueReport | undefined {
  const [section, at, ...rest] = report.path;
  const index = section === 'devices' && typeof at === 'number' ? at : -1;
  const device = merged.get(index);
  if (!device || rest.length === 0) return report;

  let inDevice: ConfigPath = rest;
  let profilePath: ConfigPath = rest;
  if (rest[0] === 'channels' && typeof rest[1] === 'number' && device.channelOrigins) {
    const origin = device.channelOrigins[rest[1]];
    if (origin?.from === 'device') inDevice = ['channels', origin.index, ...rest.slice(2)];
    else if (origin) {
      inDevice = [];
      profilePath = ['channels', origin.index, ...rest.slice(2)];
    }
  }
  // The device's own setting (or the mapping that holds it): report it there, in the device's terms.
  if (inDevice.length > 0 && (has(device.own, inDevice) || !has(device.profile.settings, profilePath))) {
    return { ...report, path: ['devices', index, ...inDevice] };
  }
  // From the profile: a broken profile was reported in its file; otherwise the device's combination
  // of settings is wrong, which the device fixes, so point at its `profile:` line.
  if (device.profile.problems.length > 0) return undefined;
  const where = profilePath.length > 0 ? ` at ${formatPath(profilePath)}` : '';
  return {
    ...report,
    path: ['devices', index, 'profile'],
    at: 'value',
    message: `${report.message} (from profile ${device.profile.name}${where})`,
  };
}

/** Whether `path` leads to a value in `data`. */
function has(data: unknown, path: ConfigPath): boolean {
  let current: unknown = data;
  for (const seg of path) {
    if (Array.isArray(current) && typeof seg === 'number') current = current[seg];
    else if (isRecord(current) && Object.hasOwn(current, String(seg))) current = current[String(seg)];
    else return false;
  }
  return current !== undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withHint(hint: string | undefined): { hint?: string } {
  return hint ? { hint } : {};
}
