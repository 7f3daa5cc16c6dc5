/**
 * What the demo coalition is made of: four partner brands (fixed, so every seed shares them), what
 * their customers buy, and the names members are drawn from. All of it invented.
 */

export type Category = 'GROCERY' | 'FUEL' | 'FASHION' | 'ELECTRONICS';

export interface StoreSpec {
  name: string;
  kind: 'PHYSICAL' | 'ONLINE';
  address?: string;
  timeZone: string;
}

export interface Product {
  sku: string;
  /** The line's category on the receipt. */
  category: string;
  /** Price range in cents. */
  priceCents: [number, number];
}

export interface PartnerSpec {
  /** Short code used in receipt numbers. */
  code: string;
  name: string;
  legalEntity: string;
  category: Category;
  pointsPerCurrencyUnit: number;
  returnWindowDays: number;
  stores: StoreSpec[];
  /** Purchases a member who linked the brand makes in a month. */
  visitsPerMonth: [number, number];
  /** Lines on a receipt. */
  linesPerReceipt: [number, number];
  products: Product[];
  /** Share of purchases that come back (in part or whole). */
  refundRate: number;
}

const berlin = 'Europe/Berlin';

export const partnerSpecs: readonly PartnerSpec[] = [
  {
    code: 'FM',
    name: 'Frischmarkt',
    legalEntity: 'Frischmarkt Handels GmbH',
    category: 'GROCERY',
    pointsPerCurrencyUnit: 1,
    returnWindowDays: 0,
    stores: [
      {
        name: 'Berlin Prenzlauer Berg',
        kind: 'PHYSICAL',
        address: 'Kastanienallee 12, 10435 Berlin',
        timeZone: berlin,
      },
      {
        name: 'Hamburg Ottensen',
        kind: 'PHYSICAL',
        address: 'Ottenser Hauptstraße 40, 22765 Hamburg',
        timeZone: berlin,
      },
      { name: 'Lieferdienst', kind: 'ONLINE', timeZone: berlin },
    ],
    visitsPerMonth: [1, 6],
    linesPerReceipt: [2, 6],
    products: [
      { sku: 'FM-10231', category: 'produce', priceCents: [129, 449] },
      { sku: 'FM-20417', category: 'dairy', priceCents: [89, 399] },
      { sku: 'FM-30112', category: 'bakery', priceCents: [149, 549] },
      { sku: 'FM-40088', category: 'beverages', priceCents: [79, 1499] },
      { sku: 'FM-50230', category: 'household', priceCents: [199, 999] },
      { sku: 'FM-60314', category: 'meat', priceCents: [399, 1899] },
      { sku: 'FM-70021', category: 'frozen', priceCents: [249, 799] },
    ],
    refundRate: 0.01,
  },
  {
    code: 'NT',
    name: 'Nordtank',
    legalEntity: 'Nordtank Energie AG',
    category: 'FUEL',
    pointsPerCurrencyUnit: 2,
    returnWindowDays: 0,
    stores: [
      {
        name: 'A7 Hamburg-Stellingen',
        kind: 'PHYSICAL',
        address: 'Kieler Straße 601, 22525 Hamburg',
        timeZone: berlin,
      },
      {
        name: 'Bremen Überseestadt',
        kind: 'PHYSICAL',
        address: 'Konsul-Smidt-Straße 8, 28217 Bremen',
        timeZone: berlin,
      },
    ],
    visitsPerMonth: [1, 3],
    linesPerReceipt: [1, 2],
    products: [
      { sku: 'NT-E10', category: 'fuel', priceCents: [3200, 9400] },
      { sku: 'NT-DIESEL', category: 'fuel', priceCents: [3500, 9900] },
      { sku: 'NT-COFFEE', category: 'shop', priceCents: [260, 480] },
      { sku: 'NT-WASH-PREMIUM', category: 'car wash', priceCents: [990, 1890] },
    ],
    refundRate: 0,
  },
  {
    code: 'MA',
    name: 'Modehaus Amsel',
    legalEntity: 'Amsel Mode GmbH & Co. KG',
    category: 'FASHION',
    pointsPerCurrencyUnit: 3,
    returnWindowDays: 30,
    stores: [
      {
        name: 'München Kaufingerstraße',
        kind: 'PHYSICAL',
        address: 'Kaufingerstraße 15, 80331 München',
        timeZone: berlin,
      },
      {
        name: 'Köln Schildergasse',
        kind: 'PHYSICAL',
        address: 'Schildergasse 70, 50667 Köln',
        timeZone: berlin,
      },
      { name: 'Online-Shop', kind: 'ONLINE', timeZone: berlin },
    ],
    visitsPerMonth: [1, 3],
    linesPerReceipt: [1, 3],
    products: [
      { sku: 'MA-TS-2291', category: 'tops', priceCents: [1999, 5999] },
      { sku: 'MA-JN-4410', category: 'denim', priceCents: [4999, 11999] },
      { sku: 'MA-SH-7702', category: 'shoes', priceCents: [5999, 15999] },
      { sku: 'MA-AC-1108', category: 'accessories', priceCents: [999, 3999] },
      { sku: 'MA-OW-9034', category: 'outerwear', priceCents: [8999, 24999] },
    ],
    refundRate: 0.07,
  },
  {
    code: 'VW',
    name: 'Voltwerk Elektronik',
    legalEntity: 'Voltwerk Elektronik GmbH',
    category: 'ELECTRONICS',
    pointsPerCurrencyUnit: 1,
    returnWindowDays: 14,
    stores: [
      {
        name: 'Frankfurt Zeil',
        kind: 'PHYSICAL',
        address: 'Zeil 90, 60313 Frankfurt am Main',
        timeZone: berlin,
      },
      { name: 'Online-Shop', kind: 'ONLINE', timeZone: berlin },
    ],
    visitsPerMonth: [1, 2],
    linesPerReceipt: [1, 3],
    products: [
      { sku: 'VW-PH-0815', category: 'phones', priceCents: [19900, 89900] },
      { sku: 'VW-HP-3320', category: 'audio', priceCents: [2999, 34900] },
      { sku: 'VW-CB-0042', category: 'accessories', priceCents: [999, 2999] },
      { sku: 'VW-LT-5501', category: 'computers', priceCents: [49900, 149900] },
      { sku: 'VW-SH-2210', category: 'smart home', priceCents: [2499, 12999] },
    ],
    refundRate: 0.05,
  },
];

export const firstNames: readonly string[] = [
  'Anna',
  'Lukas',
  'Sophie',
  'Jonas',
  'Marie',
  'Felix',
  'Laura',
  'Maximilian',
  'Lea',
  'Paul',
  'Emma',
  'Leon',
  'Hannah',
  'Elias',
  'Mia',
  'Noah',
  'Clara',
  'Finn',
  'Lina',
  'Ben',
  'Sarah',
  'Tim',
  'Julia',
  'David',
  'Katharina',
  'Moritz',
  'Amelie',
  'Jan',
  'Charlotte',
  'Niklas',
  'Aylin',
  'Mehmet',
  'Zofia',
  'Piotr',
  'Giulia',
  'Marco',
  'Inès',
  'Luca',
  'Freya',
  'Søren',
];

export const lastNames: readonly string[] = [
  'Müller',
  'Schmidt',
  'Schneider',
  'Fischer',
  'Weber',
  'Meyer',
  'Wagner',
  'Becker',
  'Schulz',
  'Hoffmann',
  'Koch',
  'Richter',
  'Klein',
  'Wolf',
  'Schröder',
  'Neumann',
  'Schwarz',
  'Braun',
  'Hofmann',
  'Zimmermann',
  'Krüger',
  'Hartmann',
  'Lange',
  'Werner',
  'Krause',
  'Lehmann',
  'Köhler',
  'Yılmaz',
  'Kowalski',
  'Rossi',
  'Nowak',
  'Bianchi',
  'Dubois',
  'Jansen',
  'Petersen',
  'Vogel',
  'Friedrich',
  'Keller',
  'Günther',
  'Berger',
];

export const emailDomains: readonly string[] = [
  'example.com',
  'example.org',
  'example.net',
  'mail.example.com',
];

/** "Jürgen Groß" → "juergen.gross": what goes before the @. */
export function emailLocalPart(first: string, last: string): string {
  const fold = (s: string) =>
    s
      .toLowerCase()
      .replace(/ä/g, 'ae')
      .replace(/ö/g, 'oe')
      .replace(/ü/g, 'ue')
      .replace(/ß/g, 'ss')
      .replace(/ø/g, 'oe')
      .replace(/ı/g, 'i')
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^a-z0-9]+/g, '');
  return `${fold(first)}.${fold(last)}`;
}
