/** Every limit of the network in one place (STYLE.md §7). Units are in the names. */
export const limits = {
  pageSizeDefault: 20,
  pageSizeMax: 100,
  queryDepthMax: 10,
  queryCostMax: 5000,
  queryAliasesMax: 30,
  queryTokensMax: 2000,
  requestBodyBytesMax: 1_000_000,
  tokenRequestBytesMax: 16_384,
  subgraphTimeoutMs: 5_000,
  subgraphKeepAliveMs: 30_000,
  subgraphConnectionsMax: 64,
  transactionRetriesMax: 5,
  dbPoolSizeMax: 10,
  feedPageSizeMax: 500,
  feedPollIntervalMs: 250,
  feedFetchTimeoutMs: 5_000,
  tokenLifetimeSecondsDefault: 3600,
  tokenLifetimeSecondsMax: 30 * 24 * 3600,
  serviceReadyTimeoutMs: 60_000,
  shutdownGraceMs: 10_000,
  nameLengthMax: 200,
  storesPerPartnerMax: 500,
  // The wallet.
  pointsPerCurrencyUnitMax: 1_000,
  returnWindowDaysMax: 365,
  /** Largest purchase total accepted, in minor units (10 million of a two-decimal currency). */
  purchaseMinorUnitsMax: 1_000_000_000n,
  purchaseLinesMax: 500,
  /** Largest single burn or hold, in points. */
  burnPointsMax: 10_000_000n,
  holdTimeoutSecondsDefault: 15 * 60,
  holdTimeoutSecondsMax: 7 * 24 * 3600,
  /** Points expire this long after they were earned, unless spent first. */
  pointsLifetimeDays: 730,
  /** A wallet lists the points expiring this many days ahead. */
  expiringSoonDays: 30,
  idempotencyKeyLengthMax: 200,
  receiptIdLengthMax: 100,
  householdMembersMax: 10,
  /**
   * Writes for one member queued in one member-service process beyond this are refused
   * (SERVICE_UNAVAILABLE) rather than kept in memory: a write takes milliseconds, so the last of a
   * thousand would wait far past any caller's deadline (subgraphTimeoutMs).
   */
  walletWritesQueuedPerMemberMax: 1_000,
  /** How far a till's clock may run ahead of ours. */
  clockSkewMs: 5 * 60_000,
  /** A purchase older than this no longer earns points. */
  purchaseAgeDaysMax: 90,
} as const;
