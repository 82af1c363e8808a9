import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from 'graphql';

/**
 * Hostile GraphQL argument values, generated from the schema's argument types. Values are sent
 * as variables, so they reach the resolvers (and through them SQL) exactly as a client's would.
 */

/**
 * Ids that exist in the test data by kind (church, member, group, household, user, message,
 * token; `any` for all), so hostile values in the other arguments get past the lookups.
 */
export type KnownIds = Record<string, string[]>;

/** How values are generated: the known ids, whether only coercible values, and the name of what is filled in. */
export interface Gen {
  known: KnownIds;
  coercible: boolean;
  /** argument or input field name (for an `id`, the root field's name): picks the kind of id */
  hint: string;
  /** the probability (0-1) that a scalar value is hostile rather than plausible */
  hostility: number;
}

const ID_KINDS = ['household', 'group', 'member', 'church', 'user', 'message', 'token'];

function knownFor(gen: Gen): string[] {
  const h = gen.hint.toLowerCase();
  const kind = ID_KINDS.find((k) => h.includes(k) || (k === 'token' && h.includes('apitoken')));
  return (kind && gen.known[kind]?.length ? gen.known[kind] : gen.known.any) ?? [];
}

const NUL = '\u0000';
const LONE_HIGH = '\uD800';
const LONE_LOW = '\uDC00';

/** Strings PostgreSQL text cannot hold or that are suspicious in SQL, LIKE or JSON. */
const HOSTILE_STRINGS = [
  '',
  ' ',
  NUL,
  `Ann${NUL}`,
  `${NUL}1`,
  `x${LONE_HIGH}`,
  `${LONE_LOW}y`,
  `${LONE_LOW}${LONE_HIGH}`,
  'a'.repeat(5000),
  `${'é'.repeat(300)}`,
  "'; DROP TABLE members; --",
  '%_\\',
  '\\',
  '"}]',
  '\u202Eevil',
  '😀'.repeat(40),
  '9999-99-99',
  '-infinity',
  'NaN',
  'Infinity',
  '1e309',
  '+44 20 7183 8750',
  '+44123',
  '+1 555 0100',
  'a@b.co',
  `a${NUL}@b.co`,
  'America/Chicago',
  'UTC',
  'valid-slug',
  'VISITOR',
  'HEAD',
];

/** The cursors each list issues (list field → order tag and key kinds; see the services' cursorKeys calls). */
const CURSOR_SHAPES: Record<string, Array<[string, ...Array<'s' | 'n' | 'd'>]>> = {
  members: [['NAME', 's', 's', 'n'], ['JOINED', 'd', 'n']],
  groups: [['GROUP', 's', 'n']],
  households: [['HOUSEHOLD', 's', 'n']],
  messages: [['MESSAGE', 'n']],
  recipients: [['RECIPIENT', 'n']],
  churches: [['CHURCH', 's', 'n']],
  churchUsers: [['USER', 's']],
  apiTokens: [['TOKEN', 'n']],
  failedSends: [['FAILED', 'n']],
};
const ALL_SHAPES = Object.values(CURSOR_SHAPES).flat();

const HOSTILE_NUMBERS = [0, -1, 1, 2_147_483_647, 2_147_483_648, -2_147_483_649, 2 ** 53 - 1, 1.5, 1e308];
const HOSTILE_DATES = ['9999-99-99', '0000-01-01', '2024-02-30', '-infinity', 'infinity', '2024-01-01', '10000-01-01', `2024${NUL}`, '1-1-1'];

/** Any UTF-16 code units: NUL, lone surrogates and every control character included. */
const rawUtf16 = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 12 }).map((units) => String.fromCharCode(...units));

// values the key's SQL parameter cannot take (mostly) or of the wrong JSON kind
const hostileKey = {
  n: fc.oneof(fc.constantFrom<unknown>(2_147_483_648, 2 ** 53 - 1, 1e15, -2_147_483_649, 1.5, '1'), fc.constantFrom<unknown>(...HOSTILE_NUMBERS, null, {}, [])),
  d: fc.oneof(fc.constantFrom<unknown>('9999-99-99', '0000-01-01', '2024-02-30', '10000-01-01', `2024-01-01${NUL}`), fc.constantFrom<unknown>(...HOSTILE_DATES, 1, null)),
  s: fc.oneof(fc.constantFrom<unknown>(NUL, `adams${NUL}`, `x${LONE_HIGH}`, LONE_LOW), rawUtf16, fc.constantFrom<unknown>(1, null, {}, '')),
};
const GOOD_KEY = { s: 'adams', n: 1, d: '2015-01-15' } as const;

/**
 * Cursors that decode to a real list's order tag and arity, with one key or more of the wrong
 * kind or out of range (ids past int4, impossible dates, NUL), and now and then a wrong arity.
 */
export function craftedCursor(list?: string) {
  const shapes = list && CURSOR_SHAPES[list] ? CURSOR_SHAPES[list] : ALL_SHAPES;
  return fc
    .tuple(
      fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...shapes) }, { weight: 1, arbitrary: fc.constantFrom(...ALL_SHAPES) }),
      fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      fc.tuple(hostileKey.s, hostileKey.n, hostileKey.d),
      fc.integer({ min: -1, max: 6 }),
    )
    .map(([[tag, ...kinds], bad, [hs, hn, hd], arity]) => {
      const anyBad = kinds.some((_, i) => bad[i]);
      const hostile = { s: hs, n: hn, d: hd };
      const keys = kinds.map((k, i) => (bad[i] || (!anyBad && i === kinds.length - 1) ? hostile[k] : GOOD_KEY[k]));
      const sized = arity === -1 ? keys.slice(1) : arity === 6 ? [...keys, 1] : keys;
      return Buffer.from(JSON.stringify([tag, ...sized])).toString('base64url');
    });
}

const hostileText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: rawUtf16 },
  { weight: 2, arbitrary: craftedCursor() },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('Ann', 'x', '2024-01-01'), fc.constantFrom(NUL, LONE_HIGH, LONE_LOW)).map(([a, b]) => a + b) },
);

/** A hostile string; for a cursor argument (`after`, hinted `after:<list field>`) mostly crafted cursors of that list. */
export function hostileString(gen: Pick<Gen, 'hint'>) {
  const [name, list] = gen.hint.split(':');
  return name === 'after' ? fc.oneof({ weight: 3, arbitrary: craftedCursor(list) }, { weight: 1, arbitrary: hostileText }) : hostileText;
}

function hostileId(gen: Gen) {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...knownFor(gen)) },
    { weight: 1, arbitrary: fc.constantFrom(...gen.known.any!) },
    {
      weight: 2,
      arbitrary: fc.constantFrom('0', '-1', '2147483647', '2147483648', '9223372036854775808', '1'.repeat(40), `1${NUL}`, ' 1 ', '1.5', '1e3', '', 'abc', `${LONE_HIGH}1`),
    },
    { weight: 1, arbitrary: hostileText },
  );
}

const hostileInt = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(-2_147_483_648, -1, 0, 1, 5, 20, 100, 101, 2_147_483_647) },
  { weight: 1, arbitrary: fc.integer() },
);

const hostileDateTime = fc.oneof(
  fc.constantFrom('9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '2000-01-01T00:00:00.123456789+14:00'),
  fc.integer({ min: -3 * 86_400_000, max: 400 * 86_400_000 }).map((ms) => new Date(Date.now() + ms).toISOString()),
);

const hostileLocalDate = fc.oneof(
  fc.constantFrom('0001-01-01', '1849-12-31', '2200-01-01', '2024-02-29', '9999-12-31', '2023-02-29'),
  fc
    .tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
    .map(([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`),
);

/** Values the GraphQL layer itself refuses while coercing variables (a client error before any resolver). */
function uncoercible(type: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'Int':
      return fc.constantFrom<unknown>(2_147_483_648, 2 ** 53, 1.5, 'NaN', '1', null);
    case 'Boolean':
      return fc.constantFrom<unknown>('true', 0);
    case 'DateTime':
      return fc.constantFrom<unknown>('not a date', '2026-02-30T00:00:00Z', '+275760-09-13T00:00:00Z', '', 1e20);
    case 'LocalDate':
      return fc.constantFrom<unknown>(...HOSTILE_DATES);
    default:
      return fc.constantFrom<unknown>({}, [], 1.5);
  }
}

/**
 * A value for a (possibly wrapped) input type; undefined means "leave it out". With `coercible`,
 * only values that pass GraphQL's own coercion (so the resolvers see them); otherwise also
 * values of the wrong type, now and then.
 */
/** A value that passes every check, for the arguments that are not the hostile ones in a call. */
function plausible(type: string, gen: Gen): fc.Arbitrary<unknown> {
  const h = gen.hint.toLowerCase();
  switch (type) {
    case 'ID':
      return fc.constantFrom(...knownFor(gen));
    case 'Int':
      return fc.constantFrom(h === 'offset' ? 0 : 5);
    case 'Boolean':
      return fc.boolean();
    case 'DateTime':
      return fc.constant(new Date(Date.now() + 86_400_000).toISOString());
    case 'LocalDate':
      return fc.constant('2020-01-01');
  }
  if (h.startsWith('after')) return fc.constant(null);
  if (h.includes('email')) return fc.constantFrom('new.person@example.org', 'staff@hostile.test');
  if (h.includes('phone') || h.includes('number')) return fc.constant('+13125550199');
  if (h.includes('password')) return fc.constant('correct horse battery staple');
  if (h === 'slug') return fc.constant('a-fresh-slug');
  if (h === 'timezone') return fc.constant('America/Chicago');
  if (h === 'typename') return fc.constant('Member');
  if (h === 'status') return fc.constant('MEMBER');
  if (h === 'householdrole') return fc.constant('HEAD');
  if (h.endsWith('on')) return fc.constant('2020-01-01');
  return fc.constantFrom('Ann', 'Hello there', 'ada');
}

function hostileScalar(type: string, gen: Gen): fc.Arbitrary<unknown> {
  switch (type) {
    case 'ID':
      return hostileId(gen);
    case 'Int':
      return hostileInt;
    case 'Boolean':
      return fc.boolean();
    case 'DateTime':
      return hostileDateTime;
    case 'LocalDate':
      return hostileLocalDate;
    default:
      return hostileString(gen);
  }
}

export function valueFor(type: GraphQLInputType, gen: Gen): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return inner(type.ofType, gen);
  // nullable: omitted, null, or a value
  return fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 4, arbitrary: inner(type, gen) });
}

function inner(type: GraphQLInputType, gen: Gen): fc.Arbitrary<unknown> {
  const v = innerCoercible(type, gen);
  if (gen.coercible || isListType(type) || isInputObjectType(type)) return v;
  return fc.oneof({ weight: 5, arbitrary: v }, { weight: 1, arbitrary: uncoercible(getNamedType(type).name) });
}

function innerCoercible(type: GraphQLInputType, gen: Gen): fc.Arbitrary<unknown> {
  if (isListType(type)) {
    const item = valueFor(type.ofType, gen).map((v) => (v === undefined ? null : v));
    return fc.oneof(
      { weight: 6, arbitrary: fc.array(item, { maxLength: 4 }) },
      // past the caps (5,000 ids or rows): one small value repeated (a large one would only meet the body limit)
      ...(isInputObjectType(getNamedType(type)) || getNamedType(type).name === 'ID'
        ? [{ weight: 1, arbitrary: item.map((v) => Array.from({ length: JSON.stringify(v ?? null).length > 200 ? 2 : 5001 }, () => v)) }]
        : []),
    );
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    const entries = fields.map((f) => valueFor(f.type, { ...gen, hint: f.name }).map((v) => [f.name, v] as const));
    return fc.tuple(...entries).map((pairs) => Object.fromEntries(pairs.filter(([, v]) => v !== undefined)));
  }
  if (isEnumType(type)) {
    const names = type.getValues().map((v) => v.name);
    return gen.coercible ? fc.constantFrom<unknown>(...names) : fc.constantFrom<unknown>(...names, 'NOT_A_VALUE', 'visitor');
  }
  if (isScalarType(type)) {
    // each value on its own is hostile with the run's probability, plausible otherwise: a call
    // then carries one or two hostile values past the checks of the others (church, role, …)
    // (a cursor is where crafted values hide most: it is hostile more often)
    const odds = Math.round((gen.hint.startsWith('after') ? Math.max(gen.hostility, 0.6) : gen.hostility) * 100);
    return fc.oneof({ weight: 100 - odds, arbitrary: plausible(type.name, gen) }, { weight: odds, arbitrary: hostileScalar(type.name, gen) });
  }
  throw new Error(`no generator for input type ${String(type)}`);
}

export interface FieldCall {
  query: string;
  /** variable name → its type, for every argument of the root field and of the nested fields selected */
  variables: Array<{ name: string; type: GraphQLInputType; hint: string }>;
}

/**
 * One operation per root field: every argument as a variable; below it, the fields of its result
 * that take arguments (and, through `nodes`, theirs), two levels deep, with their own variables.
 */
export function operationFor(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): FieldCall {
  const variables: FieldCall['variables'] = [];
  const call = (f: GraphQLField<unknown, unknown>, prefix: string) =>
    f.args.length
      ? `(${f.args
          .map((a) => {
            const name = `${prefix}${a.name}`;
            variables.push({ name, type: a.type, hint: a.name === 'id' || a.name === 'ids' ? f.name : a.name === 'after' ? `after:${f.name}` : a.name });
            return `${a.name}: $${name}`;
          })
          .join(', ')})`
      : '';
  let n = 0;
  const selection = (type: unknown, depth: number): string => {
    const named = getNamedType(type as GraphQLInputType);
    if (!isObjectType(named)) return '';
    const parts = ['__typename'];
    if (depth < 2) {
      for (const f of Object.values((named as GraphQLObjectType).getFields())) {
        if (f.args.length) parts.push(`${f.name}${call(f, `n${++n}_`)} ${selection(f.type, depth + 1)}`);
        else if (f.name === 'nodes') parts.push(`nodes ${selection(f.type, depth)}`);
      }
    }
    return `{ ${parts.join(' ')} }`;
  };
  const args = call(field, '');
  const body = `${field.name}${args} ${selection(field.type, 0)}`;
  const decl = variables.length ? `(${variables.map((v) => `$${v.name}: ${String(v.type)}`).join(', ')})` : '';
  return { query: `${kind} Hostile${decl} { ${body} }`, variables };
}
