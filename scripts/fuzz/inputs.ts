import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import { idKindOf, type Pool } from './pool';

/**
 * Calls generated from the schema: for a mutation, variables for each argument built from its
 * type, mostly plausible (ids the network handed out, amounts in range, dates near now) so a call
 * gets past the first check, and sometimes hostile (control characters, lone surrogates, huge or
 * negative numbers, impossible dates, wrong types, missing or unknown fields).
 */

export interface FuzzCall {
  field: string;
  query: string;
  variables: Record<string, unknown>;
  /** Whether the arguments are written inline in the query text instead of as variables. */
  inline: boolean;
}

/** Where a value goes: the name of its argument or input field. */
interface Place {
  name: string;
  /** The kind of id an `id` argument names: the mutation's return type. */
  idKind: string | undefined;
  /** A hostile call mixes in bad values; a clean one sends only what a careful client would. */
  hostile: boolean;
}

/** In a hostile call, the usual value most of the time and a bad one sometimes. */
const sometimes = (place: Place, usual: fc.Arbitrary<unknown>, bad: fc.Arbitrary<unknown>) =>
  place.hostile ? fc.oneof({ weight: 4, arbitrary: usual }, { weight: 1, arbitrary: bad }) : usual;

const nastyCharacter = fc.oneof(
  fc.constantFrom('\u0000', '\u0007', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u2028'),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
  fc.constantFrom('\u{1F600}', 'é', '\u202e', "'", '"', '\\', '%', '$1', '--', ';'),
);

const nastyString = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: nastyCharacter, minLength: 1, maxLength: 8 }),
  fc
    .tuple(fc.string({ maxLength: 8 }), nastyCharacter, fc.string({ maxLength: 8 }))
    .map((parts) => parts.join('')),
  fc.integer({ min: 150, max: 2_200 }).map((length) => 'x'.repeat(length)),
  fc.constantFrom('', ' ', '   ', 'null', 'undefined', '0', "' OR 1=1 --", '${}', '<script>'),
);

const friendlyText = fc
  .array(fc.constantFrom('Corner', 'shop', 'Ticket', '42', 'refund', 'Müller', 'gift', 'A-7'), {
    minLength: 1,
    maxLength: 4,
  })
  .map((words) => words.join(' '));

const integerString = (place: Place, min: number, max: number) =>
  sometimes(
    place,
    fc.integer({ min, max }).map(String),
    fc.constantFrom<unknown>(
      '0',
      '-1',
      '-500',
      '1' + '0'.repeat(25),
      '9'.repeat(31),
      '12.5',
      '1e3',
      ' 12',
      'abc',
      '',
      12.5,
      42,
      true,
      [],
    ),
  );

const uuid = fc.uuid({ version: 4 });

/** Near now (mostly within three days either side), or malformed, or a day its month does not have. */
const dateTime = (place: Place, now: number, when: 'past' | 'either') =>
  sometimes(
    place,
    fc
      .oneof(
        { weight: 3, arbitrary: fc.integer({ min: -3 * 86_400, max: 3 * 86_400 }) },
        { weight: 1, arbitrary: fc.integer({ min: -100 * 86_400, max: 100 * 86_400 }) },
      )
      .map((seconds) => (when === 'past' ? -Math.abs(seconds) : seconds))
      .map((seconds) => new Date(now + seconds * 1000).toISOString()),
    fc.constantFrom<unknown>(
      '2026-11-31T10:00:00Z',
      '2027-02-29T00:00:00Z',
      '2026-12-01T25:00:00Z',
      '2026-12-01',
      'yesterday',
      '',
      0,
      '9999-12-31T23:59:59Z',
      '0000-01-01T00:00:00Z',
    ),
  );

function pooled(pool: Pool, kind: string | undefined, fallback: fc.Arbitrary<unknown>) {
  if (!kind) return fallback;
  return fc.oneof(
    {
      weight: 8,
      // Unbiased, or nearly every call would name the first thing the run met.
      arbitrary: fc
        .tuple(fc.noBias(fc.nat()), fallback)
        .map(([index, otherwise]) => pool.pick(kind, index) ?? otherwise),
    },
    { weight: 1, arbitrary: fallback },
  );
}

const slug = fc.stringMatching(/^[a-z][a-z0-9_-]{0,15}$/);

/** Strings some fields give meaning to, by name; anything else is text. */
function namedString(place: Place, pool: Pool): fc.Arbitrary<unknown> {
  const name = place.name.toLowerCase();
  const odd = (usual: fc.Arbitrary<unknown>, unusual: fc.Arbitrary<unknown> = nastyString) =>
    sometimes(place, usual, unusual);
  if (name.includes('currency'))
    return odd(fc.constantFrom('EUR', 'EUR', 'EUR', 'USD'), fc.constantFrom('XYZ', 'eur', 'EURO'));
  if (name === 'timezone')
    return odd(fc.constantFrom('Europe/Berlin', 'UTC'), fc.constant('Mars/Olympus'));
  if (name.includes('tier'))
    return odd(fc.constantFrom('SILVER', 'GOLD'), fc.constantFrom('gold', 'Gold '));
  if (name === 'email')
    return odd(
      uuid.map((id) => `fuzz.${id.slice(0, 8)}@example.com`),
      fc.constantFrom('not-an-email', 'a@', '@b.c'),
    );
  if (/rate|price|fee/.test(name))
    return odd(
      fc.constantFrom('0.01', '1', '1.5', '0.8'),
      fc.constantFrom('-1', '0', '1e5', '99999999.1234567'),
    );
  if (name === 'id') return odd(slug);
  for (const kind of ['cardNumber', 'clientId', 'code', 'receiptId'])
    if (name === kind.toLowerCase()) return pooled(pool, kind, odd(friendlyText));
  return odd(friendlyText);
}

/** Whole numbers some fields give meaning to, by name, in a range a careful client would use. */
function namedInt(place: Place): fc.Arbitrary<unknown> {
  const name = place.name.toLowerCase();
  const usual = name.includes('percent')
    ? fc.integer({ min: 1, max: 300 })
    : name.includes('basispoints')
      ? fc.integer({ min: 0, max: 10_000 })
      : name.includes('version')
        ? fc.integer({ min: 1, max: 5 })
        : fc.integer({ min: 0, max: 30 });
  return sometimes(place, usual, fc.constantFrom<unknown>(-1, 2 ** 31, 1e12, 1.5, '7'));
}

function scalarArbitrary(type: string, place: Place, pool: Pool, now: number) {
  switch (type) {
    case 'ID':
      return pooled(
        pool,
        idKindOf(place.name) ?? place.idKind,
        sometimes(place, uuid, nastyString),
      );
    case 'Points':
      return integerString(place, 1, 500);
    case 'MinorUnits':
      return integerString(place, 1, 100_000);
    case 'DateTime':
      // When something happened is in the past: a till does not report a purchase to come.
      return dateTime(place, now, /occurred/i.test(place.name) ? 'past' : 'either');
    case 'IdempotencyKey':
      return sometimes(
        place,
        fc.oneof(
          { weight: 6, arbitrary: uuid },
          { weight: 1, arbitrary: pooled(pool, 'idempotencyKey', uuid) },
        ),
        nastyString,
      );
    case 'Int':
      return namedInt(place);
    case 'Float':
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
    case 'Boolean':
      return sometimes(place, fc.boolean(), fc.constant('yes'));
    case 'Text':
    case 'MultilineText':
      return sometimes(place, friendlyText, nastyString);
    default:
      return namedString(place, pool);
  }
}

/** A value for an input type at a place; `null` stands for an explicit null. */
function valueOf(
  type: GraphQLInputType,
  place: Place,
  pool: Pool,
  now: number,
): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) {
    const value = nullableValueOf(type.ofType, place, pool, now);
    return place.hostile
      ? fc.oneof({ weight: 30, arbitrary: value }, { weight: 1, arbitrary: fc.constant(null) })
      : value;
  }
  const inner = nullableValueOf(type, place, pool, now);
  return fc.oneof({ weight: 5, arbitrary: inner }, { weight: 1, arbitrary: fc.constant(null) });
}

function nullableValueOf(
  type: GraphQLInputType,
  place: Place,
  pool: Pool,
  now: number,
): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return valueOf(type, place, pool, now);
  if (isListType(type)) {
    return fc.array(valueOf(type.ofType, place, pool, now), {
      minLength: place.hostile ? 0 : 1,
      maxLength: 4,
    });
  }
  if (isEnumType(type)) {
    const values = type.getValues().map((value) => value.name);
    return place.hostile
      ? fc.oneof(
          { weight: 20, arbitrary: fc.constantFrom(...values) },
          { weight: 1, arbitrary: fc.constant('NOT_A_VALUE') },
        )
      : fc.constantFrom(...values);
  }
  if (isInputObjectType(type)) return inputObjectOf(type.name, type.getFields(), place, pool, now);
  if (isScalarType(type)) return scalarArbitrary(type.name, place, pool, now);
  throw new Error(`an input type the fuzzer does not know: ${String(type)}`);
}

function inputObjectOf(
  name: string,
  fields: Record<string, { name: string; type: GraphQLInputType }>,
  outer: Place,
  pool: Pool,
  now: number,
): fc.Arbitrary<unknown> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const field of Object.values(fields)) {
    const place = { name: field.name, idKind: undefined, hostile: outer.hostile };
    shape[field.name] = valueOf(field.type, place, pool, now);
    if (isNonNullType(field.type)) required.push(field.name);
  }
  const record = fc.record(shape, { requiredKeys: required });
  if (!outer.hostile) return record.map((value) => repair(name, value));
  return fc.oneof(
    { weight: 60, arbitrary: record.map((value) => repair(name, value)) },
    // An unknown field, or a required one left out: refused before any resolver runs.
    { weight: 1, arbitrary: record.map((value) => ({ ...value, notAField: 1 })) },
    {
      weight: 1,
      arbitrary: record.map((value) =>
        Object.fromEntries(Object.entries(value).filter(([key]) => key !== required[0])),
      ),
    },
  );
}

type Input = Record<string, unknown>;

/** Purchase lines that add up to the total, as a till adds them. */
function linesAddUp(value: Input): Input {
  if (!Array.isArray(value.lines)) return value;
  const amounts = (value.lines as unknown[]).map((line) =>
    line && typeof line === 'object' ? (line as { amount?: unknown }).amount : undefined,
  );
  if (amounts.length === 0 || !amounts.every((a) => typeof a === 'string' && /^\d{1,15}$/.test(a)))
    return value;
  const total = (amounts as string[]).reduce((sum, a) => sum + BigInt(a), 0n);
  return { ...value, total: total.toString() };
}

/** An offer whose audience fields agree with its audience, with one kind of bonus, ending after it starts. */
function offerAgrees(value: Input): Input {
  const { audience } = value;
  const offer: Input = { ...value, bonusPercent: value.bonusPoints == null ? 50 : null };
  if (audience !== 'TIERS') delete offer.audienceTiers;
  if (audience !== 'MEMBERS') delete offer.audienceMemberIds;
  if (typeof value.startsAt === 'string' && Date.parse(value.startsAt) >= 0)
    offer.endsAt = new Date(Date.parse(value.startsAt) + 7 * 86_400_000).toISOString();
  return offer;
}

const careful: Record<string, (value: Input) => Input> = {
  EarnPointsInput: linesAddUp,
  SimulateEarnInput: linesAddUp,
  OfferInput: offerAgrees,
};

/**
 * What a careful client does that the schema cannot say: one of memberId and cardNumber, purchase
 * lines that add up to the total, an offer that agrees with itself. Without it almost every
 * generated earn, burn or offer would stop at that one rule, and the ledger would see few writes.
 */
function repair(typeName: string, value: Input): Input {
  if ('memberId' in value && 'cardNumber' in value) {
    // Exactly one of them names the member; a careful till sends one.
    const { cardNumber: _cardNumber, ...withoutCard } = value;
    return repair(typeName, withoutCard);
  }
  return careful[typeName]?.(value) ?? value;
}

/** The fields to ask for: enough to harvest ids for later calls, one level down. */
export function selectionOf(field: GraphQLField<unknown, unknown>): string {
  const type = getNamedType(field.type);
  if (!isObjectType(type)) return '';
  const picks = ['__typename'];
  for (const child of Object.values(type.getFields())) {
    if (child.args.some((arg) => isNonNullType(arg.type))) continue;
    const childType = getNamedType(child.type);
    if (isScalarType(childType) && harvested(child.name, childType.name)) picks.push(child.name);
    if (isObjectType(childType)) {
      const inner = Object.values(childType.getFields())
        .filter((f) => isScalarType(getNamedType(f.type)))
        .filter((f) => harvested(f.name, getNamedType(f.type).name))
        .map((f) => f.name);
      if (inner.length > 0) picks.push(`${child.name} { ${inner.join(' ')} }`);
    }
  }
  return `{ ${picks.join(' ')} }`;
}

const harvestedStrings = new Set(['cardNumber', 'clientId', 'code', 'receiptId']);
const harvested = (name: string, scalar: string) => scalar === 'ID' || harvestedStrings.has(name);

/** A GraphQL literal for a value of an input type (enum values bare, when they can be). */
export function literalOf(value: unknown, type: GraphQLInputType): string {
  if (value === null || value === undefined) return 'null';
  if (isNonNullType(type)) return literalOf(value, type.ofType);
  if (isListType(type))
    return Array.isArray(value)
      ? `[${value.map((item) => literalOf(item, type.ofType)).join(', ')}]`
      : literalOf(value, type.ofType);
  if (isEnumType(type) && typeof value === 'string' && /^[_A-Za-z][_0-9A-Za-z]*$/.test(value))
    return value;
  if (isInputObjectType(type) && typeof value === 'object' && !Array.isArray(value)) {
    const fields = type.getFields();
    const entries = Object.entries(value as Record<string, unknown>).map(
      ([key, item]) =>
        `${key}: ${fields[key] ? literalOf(item, fields[key].type) : JSON.stringify(item)}`,
    );
    return `{ ${entries.join(', ')} }`;
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((item) => literalOf(item, type)).join(', ')}]`;
  return JSON.stringify(value);
}

/** The arbitrary of one call to a mutation: its variables, then the operation text. */
export function callOf(
  field: GraphQLField<unknown, unknown>,
  pool: Pool,
  now: number,
): fc.Arbitrary<FuzzCall> {
  const returned = getNamedType(field.type).name;
  const idKind = returned.charAt(0).toLowerCase() + returned.slice(1);
  const selection = selectionOf(field);
  const variablesOf = (hostile: boolean) => {
    const shape: Record<string, fc.Arbitrary<unknown>> = {};
    for (const arg of field.args) {
      const place = { name: arg.name, idKind, hostile };
      shape[arg.name] = valueOf(arg.type, place, pool, now);
    }
    const required = field.args.filter((arg) => isNonNullType(arg.type)).map((arg) => arg.name);
    return fc.record(shape, { requiredKeys: required });
  };
  return fc
    .tuple(
      fc.oneof(
        { weight: 3, arbitrary: variablesOf(false) },
        { weight: 2, arbitrary: variablesOf(true) },
      ),
      fc.integer({ min: 0, max: 9 }),
    )
    .map(([variables, roll]) => operation(field, field.args, variables, selection, roll === 0));
}

function operation(
  field: GraphQLField<unknown, unknown>,
  args: readonly GraphQLArgument[],
  variables: Record<string, unknown>,
  selection: string,
  inline: boolean,
): FuzzCall {
  const given = args.filter((arg) => arg.name in variables);
  if (inline) {
    const written = given.map((arg) => `${arg.name}: ${literalOf(variables[arg.name], arg.type)}`);
    const call = written.length > 0 ? `(${written.join(', ')})` : '';
    return {
      field: field.name,
      query: `mutation Fuzz { ${field.name}${call} ${selection} }`,
      variables: {},
      inline,
    };
  }
  const declared = given.map((arg) => `$${arg.name}: ${String(arg.type)}`);
  const passed = given.map((arg) => `${arg.name}: $${arg.name}`);
  const query = `mutation Fuzz${declared.length > 0 ? `(${declared.join(', ')})` : ''} { ${field.name}${passed.length > 0 ? `(${passed.join(', ')})` : ''} ${selection} }`;
  return { field: field.name, query, variables, inline };
}
