/**
 * Decision explain: what every filter, scorer and picker of a scheduling cycle did for one request. Recorded
 * only when asked (a debug header, /debug/explain, the live page's sampling): the normal cycle records nothing.
 */

/** One endpoint as a profile saw it. */
export interface EndpointExplanation {
  /** "ip:port". */
  readonly endpoint: string;
  /** The filter that removed it ('' when it reached the scorers). */
  readonly removedBy: string;
  /** Clamped raw score per scorer, in the profile's scorer order (empty when filtered out). */
  readonly scores: readonly number[];
  /** Sum of weight x raw score (0 when filtered out). */
  readonly total: number;
  /** 0-based place in the picker's answer (0 = primary); -1 when not picked. */
  readonly rank: number;
  /** Why it was not the primary pick ('' for the primary). */
  readonly why: string;
}

export interface ProfileExplanation {
  readonly profile: string;
  readonly filters: readonly { readonly name: string; readonly type: string; readonly kept: number }[];
  readonly scorers: readonly { readonly name: string; readonly type: string; readonly weight: number }[];
  readonly picker: { readonly name: string; readonly type: string };
  /** Picks in order of preference ("ip:port"). */
  readonly picked: readonly string[];
  /** Why the profile chose nothing ('' when it chose). */
  readonly failure: string;
  readonly endpoints: readonly EndpointExplanation[];
  /** Endpoints left out to keep a response header small (the header only; 0 or absent otherwise). */
  readonly omittedEndpoints?: number;
}

/** One request-control screener (framework/requestcontrol.ts Screener) as it ran before the profiles. */
export interface ScreenerExplanation {
  readonly name: string;
  readonly type: string;
  /** Candidates left after this screener and the ones before it (the running intersection). */
  readonly kept: number;
}

export interface Explanation {
  readonly requestId: string;
  readonly model: string;
  readonly targetModel: string;
  /** Epoch ms when it was decided. */
  readonly at: number;
  /** 'routed', or the error code the request was answered with (SHED, ALL_FILTERED, ...). */
  readonly outcome: string;
  /** The error message when not routed. */
  readonly reason: string;
  readonly primaryProfile: string;
  /** The routed "ip:port" list, primary first ('' when not routed). */
  readonly destination: string;
  /** The screeners that narrowed the candidates before the profiles ran; absent when none is configured. */
  readonly screeners?: readonly ScreenerExplanation[];
  /** Only the profiles that ran, in run order. */
  readonly profiles: readonly ProfileExplanation[];
}

/** Collects one cycle's explanation; the scheduler hands it to each profile it runs. */
export interface ExplainRecorder {
  readonly profiles: ProfileExplanation[];
  /** Filled by the director when screeners are configured. */
  screeners?: ScreenerExplanation[];
  /** A dry run (/debug/explain): the cycle is not timed into the scheduling metrics. */
  readonly dryRun?: boolean;
}
