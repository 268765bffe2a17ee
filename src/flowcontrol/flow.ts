/** One flow's queue inside a band (flow = fairness id), ordered by the band's ordering policy. */
import type { FlowQueueView, QueuedItemView } from '../framework/flowcontrol.ts';
import { IndexedHeap } from './heap.ts';
import type { QueuedRequest } from './queued-request.ts';

export class Flow implements FlowQueueView {
  readonly flowId: string;
  readonly #heap: IndexedHeap<QueuedRequest>;
  bytes = 0;
  /** Position in the band's list of non-empty flows (owned by the band). */
  activeIndex = -1;
  /** Free for the band's fairness policy (e.g. a virtual start tag). */
  fairnessTag = 0;

  constructor(flowId: string, before: (a: QueuedItemView, b: QueuedItemView) => boolean) {
    this.flowId = flowId;
    this.#heap = new IndexedHeap<QueuedRequest>(before, flowIndex, setFlowIndex);
  }

  get length(): number {
    return this.#heap.size;
  }

  head(): QueuedRequest | undefined {
    return this.#heap.peek();
  }

  push(item: QueuedRequest): void {
    this.#heap.push(item);
    this.bytes += item.bytes;
  }

  remove(item: QueuedRequest): boolean {
    if (!this.#heap.remove(item)) return false;
    this.bytes -= item.bytes;
    return true;
  }
}

const flowIndex = (r: QueuedRequest): number => r.flowIndex;
const setFlowIndex = (r: QueuedRequest, i: number): void => {
  r.flowIndex = i;
};
