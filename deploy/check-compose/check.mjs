#!/usr/bin/env node
// Offline check of smsdesk's docker-compose.yml, for machines without a Docker engine or compose plugin.
//
//   npm ci && node check.mjs [path/to/docker-compose.yml]     (default: the repository's docker-compose.yml)
//   node check.mjs --project-directory DIR broken-copy.yml     (relative paths in the file resolve against DIR,
//                                                              as with `docker compose --project-directory`)
//   node check.mjs --self-test                                 (the good file passes, broken copies fail)
//
// 1. Parses the YAML (duplicate keys and syntax errors are failures).
// 2. Interpolates ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?msg}, ${VAR:+alt}, $$ as Compose does,
//    with an EMPTY environment: the file must work with no .env and nothing exported.
// 3. Validates the result against the Compose Specification JSON schema (the copy dclint ships).
// 4. Checks smsdesk's own rules: commands, variables smsdesk reads, replicas, the proxy, nginx.conf.
//
// Exit status: 0 when everything holds, 1 with a list of problems otherwise, 2 on a usage error.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { LineCounter, parseDocument } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const defaultComposePath = join(repoRoot, 'docker-compose.yml');

// Every variable smsdesk reads. backend/src/config.rs (Settings::from_lookup) reads these; keep in step
// with it (when config.rs is present this script fails if the two lists differ).
export const CONFIG_RS_VARS = [
  'DATABASE_URL',
  'DATABASE_POOL_SIZE',
  'DATABASE_WRITERS',
  'BIND_ADDR',
  'PUBLIC_URL',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_API_BASE',
  'MESSAGEBIRD_API_BASE',
  'SMS_GATEWAY',
  'TWILIO_ACCOUNT_SID',
  'MESSAGEBIRD_ACCESS_KEY',
  'TWILIO_VERIFY_SIGNATURES',
  'TWILIO_PHONE_NUMBER',
  'FRONTEND_DIR',
  'MESSAGEBIRD_SIGNING_KEY',
  'MESSAGEBIRD_VERIFY_SIGNATURES',
  'MESSAGEBIRD_ORIGINATOR',
  'CONFIRMATION_TEMPLATE',
  'TRUSTED_PROXIES',
  'REQUEST_BODY_TIMEOUT',
];
// backend/src/telemetry.rs: the log filter and the log format.
export const TELEMETRY_VARS = ['RUST_LOG', 'LOG_FORMAT'];
// The Prometheus listener (issue 15), off when unset. Listed on its own so that this check holds whether
// smsdesk reads it in config.rs (where it is then listed twice, harmlessly) or elsewhere.
export const METRICS_VARS = ['METRICS_ADDR'];
export const SMSDESK_VARS = new Set([...CONFIG_RS_VARS, ...TELEMETRY_VARS, ...METRICS_VARS]);

// Compose-level variables that smsdesk does not read itself but that may appear inside a smsdesk value
// (the database password is pasted into DATABASE_URL).
const COMPOSE_LEVEL_VARS = new Set(['POSTGRES_PASSWORD']);

// What the smsdesk replicas must pass through (each as KEY: ${KEY...}).
const PASS_THROUGH = [
  'PUBLIC_URL',
  'SMS_GATEWAY',
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_PHONE_NUMBER',
  'MESSAGEBIRD_ACCESS_KEY',
  'MESSAGEBIRD_ORIGINATOR',
  'MESSAGEBIRD_SIGNING_KEY',
  'CONFIRMATION_TEMPLATE',
  'RUST_LOG',
];

// The commands the README documents: `smsdesk serve` and `smsdesk migrate`.
const EXPECTED_COMMANDS = { smsdesk: ['serve'], migrate: ['migrate'] };
const PROXY_PORT = 8080;
// Twilio's webhook timeout: nginx must give up on a replica, and finish its retries, well before it.
const TWILIO_TIMEOUT_SECONDS = 15;
// The first nginx with `resolve` in upstream blocks outside the commercial version.
const NGINX_RESOLVE_SINCE = [1, 27, 3];

// ---------------------------------------------------------------------------------------------------------
// Interpolation, after compose-go's template package: names are [A-Za-z_][A-Za-z0-9_]*, defaults may nest.

class InterpolationError extends Error {}

/** Returns { value, refs } where refs lists { name, op, arg } for every variable the string uses. */
export function interpolate(input, env) {
  const refs = [];
  const value = expand(input, env, refs);
  return { value, refs };
}

function expand(s, env, refs) {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c !== '$') {
      out += c;
      i += 1;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const end = matchingBrace(s, i + 1);
      if (end < 0) throw new InterpolationError(`unterminated "\${" in ${JSON.stringify(s)}`);
      out += substitute(s.slice(i + 2, end), env, refs, s);
      i = end + 1;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
    if (m) {
      refs.push({ name: m[0], op: '', arg: '' });
      out += env[m[0]] ?? '';
      i += 1 + m[0].length;
      continue;
    }
    throw new InterpolationError(`a lone "$" in ${JSON.stringify(s)}: write "$$" for a literal dollar sign`);
  }
  return out;
}

function matchingBrace(s, open) {
  let depth = 0;
  for (let j = open; j < s.length; j += 1) {
    if (s[j] === '$' && s[j + 1] === '$') {
      j += 1;
    } else if (s[j] === '{') {
      depth += 1;
    } else if (s[j] === '}') {
      depth -= 1;
      if (depth === 0) return j;
    }
  }
  return -1;
}

function substitute(body, env, refs, whole) {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
  if (!m) throw new InterpolationError(`invalid substitution "\${${body}}" in ${JSON.stringify(whole)}`);
  const [, name, op = '', rawArg = ''] = m;
  refs.push({ name, op, arg: rawArg });
  const value = env[name];
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  const arg = () => expand(rawArg, env, refs);
  switch (op) {
    case '':
      return value ?? '';
    case ':-':
      return nonEmpty ? value : arg();
    case '-':
      return set ? value : arg();
    case ':?':
      if (!nonEmpty) throw new InterpolationError(`required variable ${name} is missing a value: ${arg()}`);
      return value;
    case '?':
      if (!set) throw new InterpolationError(`required variable ${name} is missing a value: ${arg()}`);
      return value;
    case ':+':
      return nonEmpty ? arg() : '';
    case '+':
      return set ? arg() : '';
    default:
      throw new InterpolationError(`invalid substitution "\${${body}}"`);
  }
}

/** Interpolates every string value (not keys) of a plain JS tree; collects refs per path. */
function interpolateTree(node, env, path, refsByPath, problems) {
  if (typeof node === 'string') {
    try {
      const { value, refs } = interpolate(node, env);
      if (refs.length) refsByPath.push({ path, raw: node, refs });
      return value;
    } catch (e) {
      if (!(e instanceof InterpolationError)) throw e;
      problems.push({ path, message: e.message });
      return node;
    }
  }
  if (Array.isArray(node)) return node.map((v, i) => interpolateTree(v, env, [...path, i], refsByPath, problems));
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateTree(v, env, [...path, k], refsByPath, problems);
    return out;
  }
  return node;
}

// ---------------------------------------------------------------------------------------------------------
// Schema

function loadSchema() {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('dclint/package.json'));
  const schema = JSON.parse(readFileSync(join(pkgDir, 'schemas', 'compose.schema.json'), 'utf8'));
  // It declares draft-07 by an https URL Ajv does not know by that spelling; Ajv's default is draft-07.
  delete schema.$schema;
  return schema;
}

let compiled;
function schemaValidator() {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    compiled = ajv.compile(loadSchema());
  }
  return compiled;
}

/** Ajv reports every failed oneOf branch; keep the most specific messages, one per place. */
function schemaProblems(errors) {
  const byPath = new Map();
  for (const e of errors) {
    const path = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let message = e.message ?? e.keyword;
    if (e.keyword === 'additionalProperties') {
      message = `unknown key "${e.params.additionalProperty}"`;
      path.push(e.params.additionalProperty);
    }
    if (e.keyword === 'enum') message += `: ${e.params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    const key = path.join('\u0000');
    const list = byPath.get(key) ?? { path, errors: [] };
    if (!list.errors.some((x) => x.message === message)) list.errors.push({ keyword: e.keyword, message });
    byPath.set(key, list);
  }
  // Where a deeper error exists, the value took the branch that error is about: the other branches' "must be
  // array", "must match exactly one schema" and the like at the same place are noise.
  const noise = new Set(['oneOf', 'anyOf', 'type', 'const', 'enum', 'if']);
  const keys = [...byPath.keys()];
  const out = [];
  for (const [key, { path, errors }] of byPath) {
    const deeper = keys.some((k) => k !== key && (key === '' || k.startsWith(`${key}\u0000`)));
    const useful = errors.filter((x) => !(deeper && noise.has(x.keyword)));
    if (useful.length) out.push({ path, message: `schema: ${useful.map((x) => x.message).join('; ')}` });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// smsdesk's rules

const asEnvMap = (environment) => {
  // Anything but a map or a list is a schema problem, reported as such.
  if (!environment || typeof environment !== 'object') return {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((item) => {
        const s = String(item);
        const eq = s.indexOf('=');
        return eq < 0 ? [s, null] : [s.slice(0, eq), s.slice(eq + 1)];
      }),
    );
  }
  return environment;
};

function envPath(service, environment, key) {
  if (Array.isArray(environment)) {
    const i = environment.findIndex((item) => String(item).split('=')[0] === key);
    return ['services', service, 'environment', i];
  }
  return ['services', service, 'environment', key];
}

function publishedPorts(ports) {
  return (ports ?? []).map((p) => {
    if (typeof p === 'object') return { published: String(p.published ?? ''), target: String(p.target ?? '') };
    // [ip:][published:]target[/proto]; an IPv6 host address is in brackets.
    const spec = String(p).replace(/\/(tcp|udp|sctp)$/, '').replace(/^\[[^\]]*\]:/, '');
    const parts = spec.split(':');
    const target = parts.at(-1);
    const published = parts.length >= 2 ? parts.at(-2) : '';
    return { published, target };
  });
}

/** Whether an IPv4 address lies in `cidr` (an address alone counts as /32). */
function ipv4InCidr(address, cidr) {
  const toNumber = (ip) => {
    const parts = ip.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
    return parts.reduce((n, p) => n * 256 + p, 0);
  };
  const [net, bitsText = '32'] = cidr.split('/');
  const bits = Number(bitsText);
  const a = toNumber(address);
  const n = toNumber(net);
  if (a === null || n === null || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(a / size) === Math.floor(n / size);
}

function configRsVariables() {
  const file = join(repoRoot, 'backend', 'src', 'config.rs');
  if (!existsSync(file)) return null;
  const src = readFileSync(file, 'utf8');
  const names = new Set();
  for (const m of src.matchAll(/env\.(?:get|parse|required|optional)\(\s*"([A-Z][A-Z0-9_]*)"/g)) names.add(m[1]);
  return names;
}

function smsdeskRules(raw, doc, refsByPath, composeDir) {
  const problems = [];
  const fail = (path, message) => problems.push({ path, message });
  const services = doc.services ?? {};

  for (const name of ['postgres', 'migrate', 'smsdesk', 'proxy']) {
    if (!services[name]) fail(['services'], `service "${name}" is missing`);
  }

  // Commands exactly as the README runs them, through the image's ENTRYPOINT ["smsdesk"].
  for (const [name, expected] of Object.entries(EXPECTED_COMMANDS)) {
    const svc = services[name];
    if (!svc) continue;
    if (!isDeepStrictEqual(svc.command, expected)) {
      fail(['services', name, 'command'], `must be exactly ${JSON.stringify(expected)} (\`smsdesk ${expected[0]}\`), got ${JSON.stringify(svc.command)}`);
    }
    if (svc.entrypoint !== undefined) fail(['services', name, 'entrypoint'], 'must not override the image ENTRYPOINT ["smsdesk"]');
  }

  // The variables smsdesk and migrate are given: each a variable smsdesk reads, each ${...} in its value
  // either that same variable (pass-through) or a compose-level one.
  for (const name of ['smsdesk', 'migrate']) {
    const svc = services[name];
    if (!svc) continue;
    if (svc.env_file !== undefined) fail(['services', name, 'env_file'], 'not checked by this script: pass variables in `environment`');
    const env = asEnvMap(raw.services?.[name]?.environment);
    for (const key of Object.keys(env)) {
      const path = envPath(name, raw.services[name].environment, key);
      if (!SMSDESK_VARS.has(key)) fail(path, `${key} is not a variable smsdesk reads (see backend/src/config.rs)`);
    }
    for (const { path, refs } of refsByPath) {
      if (path[0] !== 'services' || path[1] !== name) continue;
      const key = path[2] === 'environment' ? (typeof path[3] === 'number' ? String(raw.services[name].environment[path[3]]).split('=')[0] : path[3]) : null;
      for (const ref of refs) {
        if (ref.name === key || COMPOSE_LEVEL_VARS.has(ref.name)) continue;
        if (SMSDESK_VARS.has(ref.name)) {
          fail(path, `\${${ref.name}} is used in ${key ?? path.join('.')}: pass each variable under its own name`);
        } else {
          fail(path, `\${${ref.name}} is not a variable smsdesk reads (typo?); smsdesk reads: ${[...SMSDESK_VARS].join(', ')}`);
        }
      }
    }
  }

  const app = services.smsdesk;
  if (app) {
    const rawEnv = asEnvMap(raw.services.smsdesk.environment);
    for (const key of PASS_THROUGH) {
      const value = rawEnv[key];
      if (value === undefined) fail(['services', 'smsdesk', 'environment'], `${key} must be passed through (${key}: \${${key}:-...})`);
      else if (value === null || !new RegExp(`\\$\\{${key}(?::?[-?+][^}]*)?\\}`).test(String(value))) {
        fail(envPath('smsdesk', raw.services.smsdesk.environment, key), `${key} must come from the environment as \${${key}} or \${${key}:-default}`);
      }
    }
    const env = asEnvMap(app.environment);
    if (env.BIND_ADDR !== `0.0.0.0:${PROXY_PORT}`) fail(['services', 'smsdesk', 'environment'], `BIND_ADDR must be 0.0.0.0:${PROXY_PORT}, got ${JSON.stringify(env.BIND_ADDR)}`);
    if (app.ports !== undefined) fail(['services', 'smsdesk', 'ports'], 'replicas must not publish ports: they are reached through the proxy');
    if (app.container_name !== undefined) fail(['services', 'smsdesk', 'container_name'], 'a fixed container_name prevents replicas');
    const replicas = app.deploy?.replicas;
    if (replicas === undefined) fail(['services', 'smsdesk', 'deploy'], 'deploy.replicas must be set (several stateless replicas)');
    else if (!/^\d+$/.test(String(replicas))) fail(['services', 'smsdesk', 'deploy', 'replicas'], `must be a whole number, got ${JSON.stringify(replicas)}`);
    else if (Number(replicas) < 2) fail(['services', 'smsdesk', 'deploy', 'replicas'], `the scale-out set-up runs at least 2 replicas, got ${replicas}`);
    if (!app.build) fail(['services', 'smsdesk'], 'must build the image (build: .)');
    if (!app.image) fail(['services', 'smsdesk'], 'must name the image it builds (image:) so migrate can run the same one');
  }

  // One service builds the smsdesk image; migrate runs that same image.
  if (app?.image && services.migrate) {
    if (services.migrate.image !== app.image) fail(['services', 'migrate', 'image'], `must be the image the smsdesk service builds (${app.image})`);
    const builders = Object.entries(services).filter(([, s]) => s.build && s.image === app.image).map(([n]) => n);
    if (builders.length > 1) fail(['services'], `only one service may build ${app.image} (Compose's bake builder fails on a first build otherwise): ${builders.join(', ')}`);
  }
  if (app?.build) {
    const context = typeof app.build === 'string' ? app.build : (app.build.context ?? '.');
    const dockerfile = typeof app.build === 'object' && app.build.dockerfile ? app.build.dockerfile : 'Dockerfile';
    if (!existsSync(resolve(composeDir, context, dockerfile))) fail(['services', 'smsdesk', 'build'], `${join(context, dockerfile)} does not exist next to the compose file`);
  }

  // Start-up order: postgres healthy -> migrate completed -> replicas ready (/readyz) -> proxy.
  const dependsOn = (svc) => (Array.isArray(svc?.depends_on) ? Object.fromEntries(svc.depends_on.map((d) => [d, { condition: 'service_started' }])) : (svc?.depends_on ?? {}));
  if (services.postgres && !services.postgres.healthcheck?.test) fail(['services', 'postgres'], 'needs a healthcheck (pg_isready) for the others to wait on');
  if (services.migrate && dependsOn(services.migrate).postgres?.condition !== 'service_healthy') fail(['services', 'migrate', 'depends_on'], 'must wait for postgres: condition: service_healthy');
  if (app && dependsOn(app).migrate?.condition !== 'service_completed_successfully') fail(['services', 'smsdesk', 'depends_on'], 'must wait for migrate: condition: service_completed_successfully');
  if (app) {
    const test = app.healthcheck?.test;
    const command = Array.isArray(test) ? test.join(' ') : String(test ?? '');
    if (!/\/readyz\b/.test(command)) fail(['services', 'smsdesk', 'healthcheck'], 'needs a healthcheck on /readyz (ready: the database answers and the schema is current), for the proxy to wait on');
  }
  if (app && services.proxy && dependsOn(services.proxy).smsdesk?.condition !== 'service_healthy') fail(['services', 'proxy', 'depends_on'], 'must wait for ready replicas: smsdesk: condition: service_healthy');

  // DATABASE_URL of migrate and smsdesk must reach the postgres service with its own user, password and db.
  const pg = asEnvMap(services.postgres?.environment);
  for (const name of ['migrate', 'smsdesk']) {
    const url = asEnvMap(services[name]?.environment).DATABASE_URL;
    if (!services[name]) continue;
    if (!url) {
      fail(['services', name, 'environment'], 'DATABASE_URL must be set');
      continue;
    }
    let u;
    try {
      u = new URL(url);
    } catch {
      fail(envPath(name, raw.services[name].environment, 'DATABASE_URL'), `not a URL: ${url}`);
      continue;
    }
    const want = { protocol: 'postgres:', hostname: 'postgres', username: pg.POSTGRES_USER ?? 'postgres', password: pg.POSTGRES_PASSWORD, pathname: `/${pg.POSTGRES_DB ?? pg.POSTGRES_USER ?? 'postgres'}` };
    for (const [part, expected] of Object.entries(want)) {
      const got = part === 'password' || part === 'username' ? decodeURIComponent(u[part]) : u[part];
      if (got !== expected) {
        const shown = part === 'password' ? '(the postgres service\'s POSTGRES_PASSWORD)' : JSON.stringify(expected);
        fail(envPath(name, raw.services[name].environment, 'DATABASE_URL'), `${part} must be ${shown}, got ${part === 'password' ? '(something else)' : JSON.stringify(got)}`);
      }
    }
  }

  // One variable, one default: a password defaulted differently in two places would not match.
  const defaults = new Map();
  for (const { path, refs } of refsByPath) {
    for (const ref of refs) {
      if (ref.op !== ':-' && ref.op !== '-') continue;
      const seen = defaults.get(ref.name);
      if (seen && seen.arg !== ref.arg) fail(path, `\${${ref.name}} defaults to ${JSON.stringify(ref.arg)} here but ${JSON.stringify(seen.arg)} at ${seen.path.join('.')}`);
      else if (!seen) defaults.set(ref.name, { arg: ref.arg, path });
    }
  }

  // The proxy: publishes 8080 to its own 8080 and mounts a config file that exists.
  const proxy = services.proxy;
  if (proxy) {
    const ports = publishedPorts(proxy.ports);
    if (!ports.some((p) => p.published === String(PROXY_PORT) && p.target === String(PROXY_PORT))) {
      fail(['services', 'proxy', 'ports'], `must publish ${PROXY_PORT}:${PROXY_PORT}, got ${JSON.stringify(proxy.ports ?? [])}`);
    }
    const mounts = (proxy.volumes ?? []).map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v));
    const conf = mounts.find((m) => /^\/etc\/nginx\//.test(m.target ?? '') && /\.conf$/.test(m.target ?? ''));
    if (!conf) {
      fail(['services', 'proxy', 'volumes'], 'must mount an nginx configuration file under /etc/nginx/');
    } else {
      const file = resolve(composeDir, conf.source);
      if (!existsSync(file)) {
        fail(['services', 'proxy', 'volumes'], `the nginx configuration ${conf.source} does not exist (looked for ${file})`);
      } else {
        const text = readFileSync(file, 'utf8').replace(/#.*$/gm, '');
        if (!new RegExp(`\\blisten\\s+(?:[^;\\s]*:)?${PROXY_PORT}\\b`).test(text)) fail(['services', 'proxy', 'volumes'], `${conf.source} must listen on ${PROXY_PORT}`);
        if (!/\bsmsdesk:8080\b/.test(text)) fail(['services', 'proxy', 'volumes'], `${conf.source} must proxy to smsdesk:8080`);
        if (!/\bclient_max_body_size\s+64k\s*;/.test(text)) fail(['services', 'proxy', 'volumes'], `${conf.source} must set client_max_body_size 64k`);
        for (const header of ['Host', 'X-Forwarded-For', 'X-Forwarded-Proto']) {
          if (!new RegExp(`proxy_set_header\\s+${header}\\s`).test(text)) fail(['services', 'proxy', 'volumes'], `${conf.source} must pass the ${header} header`);
        }
        for (const message of nginxRules(text)) fail(['services', 'proxy', 'volumes'], `${conf.source}: ${message}`);
        if (/^\s*server\s+[^;]*\bresolve\b/m.test(text)) {
          const version = nginxImageVersion(proxy.image);
          if (!version) fail(['services', 'proxy', 'image'], `${conf.source} uses \`resolve\` (nginx >= ${NGINX_RESOLVE_SINCE.join('.')}): pin an nginx image with a version, got ${JSON.stringify(proxy.image)}`);
          else if (compareVersions(version, NGINX_RESOLVE_SINCE) < 0) fail(['services', 'proxy', 'image'], `${conf.source} uses \`resolve\`, which needs nginx >= ${NGINX_RESOLVE_SINCE.join('.')}; ${proxy.image} is older`);
        }
      }
    }
  }

  // The replicas believe X-Forwarded-For from the proxy only: TRUSTED_PROXIES names the proxy's fixed address.
  if (app && proxy) {
    const trusted = String(asEnvMap(raw.services.smsdesk.environment).TRUSTED_PROXIES ?? '');
    const proxyAddress = proxy.networks?.default?.ipv4_address;
    if (!proxyAddress) {
      fail(['services', 'proxy', 'networks'], 'the proxy needs a fixed ipv4_address on the default network, for TRUSTED_PROXIES');
    } else if (!trusted.split(',').map((t) => t.trim()).some((t) => ipv4InCidr(proxyAddress, t))) {
      fail(['services', 'smsdesk', 'environment', 'TRUSTED_PROXIES'], `must include the proxy's address ${proxyAddress}, got ${JSON.stringify(trusted)}`);
    }
  }

  // The list of variables above must match config.rs, or the variable check means nothing.
  const actual = configRsVariables();
  if (actual) {
    const listed = new Set(CONFIG_RS_VARS);
    const missing = [...actual].filter((v) => !SMSDESK_VARS.has(v));
    const stale = [...listed].filter((v) => !actual.has(v));
    if (missing.length || stale.length) {
      fail([], `CONFIG_RS_VARS in deploy/check-compose/check.mjs is out of step with backend/src/config.rs:${missing.length ? ` add ${missing.join(', ')}` : ''}${stale.length ? ` remove ${stale.join(', ')}` : ''}`);
    }
  }
  return problems;
}

/** The version in an official nginx image's tag (`nginx:1.28-alpine` -> [1, 28]); null for none (`latest`). */
export function nginxImageVersion(image) {
  const m = /^(?:docker\.io\/)?(?:library\/)?nginx:(\d+)\.(\d+)(?:\.(\d+))?(?:-[\w.-]+)?$/.exec(String(image ?? ''));
  return m ? m.slice(1).filter((p) => p !== undefined).map(Number) : null;
}

/** Compares versions as lists of numbers; a missing patch level counts as the series' newest (1.28 > 1.27.3). */
function compareVersions(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    if (a[i] === undefined) return 1;
    if (b[i] === undefined) return -1;
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return 0;
}

/** The `location PREFIX { ... }` blocks of an nginx configuration (comments removed), by prefix. */
function nginxLocations(text) {
  const locations = new Map();
  for (const m of text.matchAll(/\blocation\s+(?:[=~^*]+\s+)?(\S+)\s*\{/g)) {
    let depth = 1;
    let end = m.index + m[0].length;
    while (end < text.length && depth > 0) {
      if (text[end] === '{') depth += 1;
      else if (text[end] === '}') depth -= 1;
      end += 1;
    }
    locations.set(m[1], text.slice(m.index + m[0].length, end - 1));
  }
  return locations;
}

/** Seconds in an nginx time (`5s`, `500ms`, `1m`, `5`). */
function nginxSeconds(value) {
  const m = /^(\d+)(ms|s|m)?$/.exec(value);
  if (!m) return NaN;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2] ?? 's'];
}

/**
 * The proxy's rules for webhooks (issue 15): retried on the next replica even though they are POSTs, within
 * Twilio's timeout; nothing else retried once sent. `text` has its comments removed.
 */
export function nginxRules(text) {
  const problems = [];
  const locations = nginxLocations(text);
  const webhooks = locations.get('/webhooks/');
  const directive = (block, name) => [...block.matchAll(new RegExp(`(?:^|[;{}\\s])${name}\\s+([^;]*);`, 'g'))].map((m) => m[1].trim());
  if (webhooks === undefined) {
    problems.push('needs a `location /webhooks/` (webhooks are retried on another replica; nothing else is)');
  } else {
    const retries = directive(webhooks, 'proxy_next_upstream').join(' ').split(/\s+/);
    for (const condition of ['error', 'timeout', 'non_idempotent']) {
      if (!retries.includes(condition)) problems.push(`location /webhooks/ must retry on the next replica on ${condition} (proxy_next_upstream ... ${condition})`);
    }
    const seconds = (name, fallback) => nginxSeconds(directive(webhooks, name).at(-1) ?? fallback);
    const read = seconds('proxy_read_timeout', '60s');
    const budget = seconds('proxy_next_upstream_timeout', '0');
    if (!(read < TWILIO_TIMEOUT_SECONDS)) problems.push(`location /webhooks/: proxy_read_timeout must be below Twilio's ${TWILIO_TIMEOUT_SECONDS} s`);
    if (!(budget > 0 && budget + read < TWILIO_TIMEOUT_SECONDS)) problems.push(`location /webhooks/: proxy_next_upstream_timeout must be set, and with proxy_read_timeout stay below Twilio's ${TWILIO_TIMEOUT_SECONDS} s`);
  }
  const elsewhere = text.replace(webhooks ?? '\u0000', '');
  if (/\bnon_idempotent\b/.test(elsewhere)) problems.push('non_idempotent only in location /webhooks/: a retried API request could send an agent\'s reply twice');
  if (!/\bkeepalive\s+\d+\s*;/.test(text)) problems.push('needs keepalive connections to the replicas (keepalive N in the upstream block)');
  return problems;
}

// ---------------------------------------------------------------------------------------------------------

/** Relative to the working directory when below it, absolute otherwise. */
function displayPath(file) {
  const rel = relative(process.cwd(), resolve(file));
  return rel && !rel.startsWith('..') ? rel : resolve(file);
}

/**
 * Checks one compose file. `projectDir` is where its relative paths point (default: the file's directory);
 * `env` the environment to interpolate with (default: empty). Returns { problems: [{where, message}],
 * warnings, summary }, `where` being "file:line (path.in.file)".
 */
export function checkCompose(file, { env = {}, projectDir = dirname(resolve(file)) } = {}) {
  const shown = displayPath(file);
  const text = readFileSync(file, 'utf8');
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, merge: true, prettyErrors: true });
  const where = (path) => {
    // The deepest node along the path that the file has (a missing key points at its parent).
    for (let n = path.length; n > 0; n -= 1) {
      const node = document.getIn(path.slice(0, n), true);
      if (node?.range) return `${shown}:${lineCounter.linePos(node.range[0]).line} (${path.join('.')})`;
    }
    return shown;
  };
  if (document.errors.length) {
    return { problems: document.errors.map((e) => ({ where: shown, message: `YAML: ${e.message}` })), warnings: [], summary: null };
  }
  const raw = document.toJS({ maxAliasCount: 100 });
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    return { problems: [{ where: file, message: 'not a YAML mapping' }], warnings: [], summary: null };
  }
  const warnings = document.warnings.map((w) => `YAML: ${w.message}`);
  if (raw.version !== undefined) warnings.push('`version` is obsolete in the Compose Specification: remove it');

  const problems = [];
  const refsByPath = [];
  const interpolated = interpolateTree(raw, env, [], refsByPath, problems);

  const validate = schemaValidator();
  if (!validate(interpolated)) problems.push(...schemaProblems(validate.errors));
  try {
    problems.push(...smsdeskRules(raw, interpolated, refsByPath, projectDir));
  } catch (e) {
    // Only a file far off the expected shape gets here; the schema problems above say why.
    problems.push({ path: [], message: `smsdesk rules not checked, the file is not shaped as expected (${e.message})` });
  }

  const services = interpolated.services ?? {};
  const summary = {
    services: Object.keys(services),
    replicas: services.smsdesk?.deploy?.replicas,
    variables: [...new Set(refsByPath.flatMap((r) => r.refs.map((x) => x.name)))].sort(),
  };
  return { problems: problems.map((p) => ({ where: where(p.path), message: p.message })), warnings, summary };
}

function report(file, result) {
  const shown = displayPath(file);
  for (const w of result.warnings) console.log(`warning: ${w}`);
  if (result.problems.length) {
    console.log(`FAIL ${shown}: ${result.problems.length} problem(s)`);
    for (const p of result.problems) console.log(`  - ${p.where}: ${p.message}`);
    return false;
  }
  const s = result.summary;
  console.log(`OK ${shown}: Compose schema valid, smsdesk rules hold`);
  console.log(`  services: ${s.services.join(', ')}; smsdesk replicas: ${s.replicas}`);
  console.log(`  variables (all interpolate with an empty environment): ${s.variables.join(', ')}`);
  return true;
}

// Broken copies of the good file, each of which must fail, and why.
const MUTATIONS = [
  ['replicas is not a number', (s) => s.replace(/replicas: 3/, 'replicas: "three"')],
  ['unknown top-level key', (s) => `${s}\nservicez: {}\n`],
  ['unknown service key', (s) => s.replace(/^ {2}proxy:\n/m, '  proxy:\n    publish: "8080"\n')],
  ['serve command changed', (s) => s.replace(/command: \["serve"\]/, 'command: ["smsdesk", "serve"]')],
  ['migrate as a string command', (s) => s.replace(/command: \["migrate"\]/, 'command: migrate')],
  ['variable smsdesk does not read', (s) => s.replace(/TWILIO_AUTH_TOKEN: \$\{TWILIO_AUTH_TOKEN:-\}/, 'TWILIO_AUTH_TOKEN: ${TWILIO_TOKEN:-}')],
  ['key smsdesk does not read', (s) => s.replace(/ {6}SMS_GATEWAY: /, '      SMS_GATEWAYS: ${SMS_GATEWAYS:-}\n      SMS_GATEWAY: ')],
  ['proxy publishes another port', (s) => s.replace(/"8080:8080"/, '"80:8080"')],
  ['nginx.conf missing', (s) => s.replace(/\.\/deploy\/nginx\.conf/, './deploy/nginx-missing.conf')],
  ['password defaults differ', (s) => s.replace(/(DATABASE_URL: postgres:\/\/smsdesk:\$\{POSTGRES_PASSWORD:-)[^}]*/, '$1other')],
  ['replica publishes a port', (s) => s.replace(/ {4}command: \["serve"\]\n/, '    command: ["serve"]\n    ports: ["8081:8080"]\n')],
  ['bad interpolation', (s) => s.replace(/\$\{RUST_LOG:-info\}/, '${RUST_LOG:-info')],
  ['duplicate key', (s) => s.replace(/ {4}restart: unless-stopped\n/, '    restart: unless-stopped\n    restart: always\n')],
  ['proxy not trusted', (s) => s.replace(/TRUSTED_PROXIES: 172\.28\.0\.10/, 'TRUSTED_PROXIES: 172.28.0.11')],
  ['proxy image without resolve', (s) => s.replace(/image: nginx:[\w.-]+/, 'image: nginx:1.26-alpine')],
  ['proxy image unpinned', (s) => s.replace(/image: nginx:[\w.-]+/, 'image: nginx:alpine')],
  ['replicas checked on /healthz only', (s) => s.replace(/GET \/readyz/, 'GET /healthz')],
  ['proxy does not wait for ready replicas', (s) => s.replace(/(proxy:[\s\S]*smsdesk:\n\s+condition: )service_healthy/, '$1service_started')],
];

// Broken copies of deploy/nginx.conf (through a compose file pointing at them), each of which must fail.
const NGINX_MUTATIONS = [
  ['webhooks not retried when sent', (s) => s.replace(/ non_idempotent;/, ';')],
  ['API retried when sent', (s) => s.replace(/(location \/ \{[\s\S]*proxy_next_upstream error timeout)/, '$1 non_idempotent')],
  ['webhook read timeout beyond Twilio\'s', (s) => s.replace(/(location \/webhooks\/ \{[\s\S]*?proxy_read_timeout )\d+s/, '$120s')],
  ['no retry budget', (s) => s.replace(/\s*proxy_next_upstream_timeout [^;]*;/, '')],
  ['no keepalive', (s) => s.replace(/\n\s*keepalive \d+;/, '')],
];

function selfTest(file) {
  const good = readFileSync(file, 'utf8');
  const projectDir = dirname(resolve(file));
  // Broken copies go to a temporary directory; their relative paths still resolve against the original's.
  const dir = mkdtempSync(join(tmpdir(), 'check-compose-'));
  let passed = 0;
  let failed = 0;
  const expect = (label, ok) => {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}`);
    if (ok) passed += 1;
    else failed += 1;
  };
  try {
    const result = checkCompose(file);
    const why = result.problems.map((p) => `${p.where}: ${p.message}`).join('; ');
    expect(`the good file passes${why ? `: ${why}` : ''}`, result.problems.length === 0);
    MUTATIONS.forEach(([label, mutate], i) => {
      const broken = mutate(good);
      if (broken === good) {
        expect(`${label}: the mutation no longer applies (update MUTATIONS in check.mjs)`, false);
        return;
      }
      const copy = join(dir, `broken-${i}.yml`);
      writeFileSync(copy, broken);
      const r = checkCompose(copy, { projectDir });
      expect(`${label} is caught${r.problems.length ? `: ${r.problems[0].message}` : ' (it was NOT)'}`, r.problems.length > 0);
    });
    const conf = /source: (\S*nginx\.conf)/.exec(good);
    const goodConf = conf ? readFileSync(resolve(projectDir, conf[1]), 'utf8') : '';
    NGINX_MUTATIONS.forEach(([label, mutate], i) => {
      const brokenConf = mutate(goodConf);
      if (!conf || brokenConf === goodConf) {
        expect(`${label}: the mutation no longer applies (update NGINX_MUTATIONS in check.mjs)`, false);
        return;
      }
      const confCopy = join(dir, `broken-nginx-${i}.conf`);
      writeFileSync(confCopy, brokenConf);
      const copy = join(dir, `broken-nginx-${i}.yml`);
      writeFileSync(copy, good.replace(conf[1], confCopy));
      const r = checkCompose(copy, { projectDir });
      expect(`${label} is caught${r.problems.length ? `: ${r.problems[0].message}` : ' (it was NOT)'}`, r.problems.length > 0);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0;
}

function main(argv) {
  const usage = 'usage: node check.mjs [--self-test] [--project-directory DIR] [path/to/docker-compose.yml]';
  let selfTesting = false;
  let projectDir;
  const files = [];
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--self-test') selfTesting = true;
    else if (a === '--project-directory' && argv[i + 1] !== undefined) projectDir = resolve(argv[(i += 1)]);
    else if (a === '-h' || a === '--help') {
      console.log(usage);
      return 0;
    } else if (a.startsWith('-') || files.length) {
      console.error(usage);
      return 2;
    } else files.push(a);
  }
  const file = resolve(files[0] ?? defaultComposePath);
  if (!existsSync(file)) {
    console.error(`error: ${file} does not exist`);
    return 2;
  }
  if (selfTesting) return selfTest(file) ? 0 : 1;
  return report(file, checkCompose(file, projectDir ? { projectDir } : {})) ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
