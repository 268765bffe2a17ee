/** TokenReview and SubjectAccessReview through the picker's API client, for --metrics-endpoint-auth. */
import type { AccessReviewer, ReviewedUser } from '../observability/metrics-auth.ts';
import type { KubeClient } from './client.ts';

interface TokenReviewStatus {
  status?: { authenticated?: boolean; user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } };
}

interface AccessReviewStatus {
  status?: { allowed?: boolean };
}

export function kubeAccessReviewer(client: KubeClient): AccessReviewer {
  return {
    async tokenReview(token) {
      const r = await client.request<TokenReviewStatus>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', undefined, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token },
      });
      const u = r?.status?.user;
      if (r?.status?.authenticated !== true || !u?.username) return null;
      return { username: u.username, uid: u.uid, groups: u.groups, extra: u.extra };
    },
    async accessReview(user: ReviewedUser, verb, path) {
      const r = await client.request<AccessReviewStatus>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', undefined, {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: user.username, uid: user.uid, groups: user.groups, extra: user.extra, nonResourceAttributes: { path, verb } },
      });
      return r?.status?.allowed === true;
    },
  };
}
