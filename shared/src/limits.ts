/** Every limit of the network in one place (docs/code-style.md). Units are in the names. */
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
  /** A full feed page counts the facts beyond it up to this many (a consumer's lag metric). */
  feedRemainingCountMax: 100_000,
  tokenLifetimeSecondsDefault: 3600,
  /**
   * The longest a token of each role may live (exp − iat). Verification refuses a longer one, so a
   * leaked token cannot have been minted to last: it is also the most `signToken` will issue.
   */
  tokenLifetimeSecondsMaxByRole: {
    member: 24 * 3600,
    partner: 24 * 3600,
    terminal: 24 * 3600,
    operator: 12 * 3600,
    service: 3600,
  },
  /** Verified tokens a process remembers until they expire (shared/src/auth/jwt.ts): about 1 KiB each. */
  verifiedTokensCachedMax: 10_000,
  serviceReadyTimeoutMs: 60_000,
  shutdownGraceMs: 10_000,
  /** npm start restarts a service that exits: first after this, doubling up to the max. */
  serviceRestartBackoffMs: 1_000,
  serviceRestartBackoffMaxMs: 30_000,
  /** A service up this long before it exits starts its backoff afresh. */
  serviceRestartResetMs: 60_000,
  nameLengthMax: 200,
  /** Free text on one line (the Text scalar): names, labels, references. */
  textLengthMax: 200,
  /** Free text that may span lines (the MultilineText scalar): descriptions, reasons, notes. */
  multilineTextLengthMax: 2_000,
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
  // Offers.
  /**
   * An offer for a list of members names at most this many (the list travels in one feed fact:
   * 1,000 ids is about 40 kB; a bigger audience is a tier).
   */
  offerAudienceMembersMax: 1_000,
  /** The longest an offer runs. */
  offerLengthDaysMax: 366,
  /** Live offers per partner. */
  offersLivePerPartnerMax: 100,
  // Partner configuration.
  /** After a rotation the previous client secret keeps working this long, unless revoked at once. */
  apiClientSecretGraceSeconds: 24 * 3600,
  /** A date "now" sent by a client may lag ours by this much and still count as now, not the past. */
  clientClockSlackMs: 5_000,
  /** How far ahead a partner's earn and burn stop dates may be set. */
  partnerLeavingAheadDaysMax: 730,
  statusReasonLengthMax: 500,
  /** Web origins (a shop, an app) one partner may let call the gateway from a browser. */
  webOriginsPerPartnerMax: 20,
  /** How often the gateway reads the partners' web origins again. */
  webOriginsRefreshMs: 30_000,
  /** How far ahead an earn rules version may be scheduled (and a simulation may look). */
  earnRulesAheadDaysMax: 365,
  /** Versions published but not yet in force, per partner. */
  earnRuleVersionsScheduledMax: 20,
  /**
   * A scheduled version can be withdrawn until this long before it takes effect: after that, a
   * wallet may already apply it before the withdrawal reaches it over the partner feed.
   */
  earnRulesWithdrawLeadMs: 60_000,
  /** The coalition's tier bonuses: at most this many tiers. */
  tierBonusesMax: 10,
  // Tiers members climb (subgraphs/member/src/modules/tiers).
  /** Tiers on one ladder. */
  tiersPerLadderMax: 10,
  /** The longest grace period a ladder gives a member before a downgrade. */
  tierGraceDaysMax: 366,
  /** How far ahead a ladder version may be scheduled. */
  tierLadderAheadDaysMax: 366,
  /** The longest an operator's tier override lasts. */
  tierOverrideDaysMax: 731,
  tierOverrideReasonLengthMax: 500,
  /** Members one round of the tier review handles per database transaction. */
  tierReviewBatchMax: 500,
  /** A tier threshold: at most this (points, minor units or partners). */
  tierThresholdMax: 1_000_000_000_000n,
  // Partner views of the ledger.
  /** The longest period a partner's points summary or member reach covers (a leap year). */
  partnerViewPeriodDaysMax: 366,
  /** Below this many members in a period, a partner's reach omits how many also shop elsewhere. */
  memberReachMembersMin: 10,
  // The reward catalogue.
  /** Rewards per partner, active or not. */
  rewardsPerPartnerMax: 1_000,
  rewardDescriptionLengthMax: 2_000,
  /** The most units of a reward in stock, and the most one restock adds or removes. */
  rewardStockMax: 1_000_000,
  /**
   * A synchronous call from one service to another (docs/architecture.md: off the hot path, never inside a
   * transaction) gives up after this long; well inside the gateway's subgraphTimeoutMs.
   */
  syncCallTimeoutMs: 3_000,
  /** An order still PENDING this long after it was placed is retried by the partner service's job (more than syncCallTimeoutMs: not while its caller still waits). */
  rewardOrderRetryAgeMs: 5_000,
  /** Orders one round of that job retries. */
  rewardOrderRetryBatchMax: 100,
  // Rate limits at the gateway (docs/operations.md, Rate limits): each can be set by the gateway's
  // settings; a partner's own limit (setPartnerRateLimit) travels in its clients' tokens.
  /** Requests one API client (partner or terminal credentials) may make per minute. */
  rateLimitClientRequestsPerMinute: 6_000,
  /** Requests beyond the per-minute rate a client may make in a spike (refilled every burst window). */
  rateLimitClientBurst: 1_000,
  /** Requests one member's tokens may make per minute, and in a spike beyond that. */
  rateLimitMemberRequestsPerMinute: 600,
  rateLimitMemberBurst: 100,
  /** The spike reserve (burst) refills this long after its first use. */
  rateLimitBurstWindowSeconds: 600,
  /** The most an operator may grant one partner's clients. */
  rateLimitRequestsPerMinuteMax: 600_000,
  rateLimitBurstMax: 100_000,
  /**
   * A rate-limit counter read or write gives up after this long, and the gateway counts in its own
   * memory instead: a slow or lost counter database must not hold up or refuse requests.
   */
  rateLimitStoreTimeoutMs: 1_000,
  rateLimitStorePoolSizeMax: 4,
  /** A counter database unreachable at the gateway's start is tried again this often. */
  rateLimitStoreRetryIntervalMs: 5_000,
  /** Limiters a gateway keeps built, one per distinct limit (partners' own limits add some). */
  rateLimitersCachedMax: 1_000,
  /**
   * Wrong client secrets at /oauth/token: from this many failures on, a client id must wait before
   * its next attempt (tokenFailureDelaySeconds, doubling); at tokenFailuresBeforeLockout it is locked out for
   * tokenLockoutSeconds. Unknown client ids count alike, so a refusal tells nothing about a client.
   */
  tokenFailuresBeforeDelay: 5,
  /** The first wait; each further failure doubles it, up to tokenFailureDelaySecondsMax. */
  tokenFailureDelaySeconds: 1,
  tokenFailureDelaySecondsMax: 60,
  tokenFailuresBeforeLockout: 10,
  tokenLockoutSeconds: 900,
  /** Wrong secrets from one address, whatever the client ids, before the address is locked out. */
  tokenFailuresPerAddressBeforeLockout: 100,
  /** A run of failures is forgotten this long after it began. */
  tokenFailureMemorySeconds: 3_600,
  /** Client ids are 19 characters; a longer one is junk, counted by its first this many. */
  tokenClientIdKeyLengthMax: 128,
} as const;
