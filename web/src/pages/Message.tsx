import { useQuery, useSubscription } from 'urql';
import { ErrorNote } from '../errors.js';
import type { MessageStatusQuery } from '../gql/graphql.js';
import { MessageQuery, ProgressSubscription } from '../operations.js';
import { Link } from '../router.js';

const label = (s: string) => s.charAt(0) + s.slice(1).toLowerCase();
type Counts = MessageStatusQuery['message']['counts'];
const ROWS: Array<[Exclude<keyof Counts, '__typename' | 'total'>, string]> = [
  ['queued', 'Queued'],
  ['sending', 'Sending'],
  ['sent', 'Sent (awaiting the carrier)'],
  ['delivered', 'Delivered'],
  ['undelivered', 'Undelivered'],
  ['failed', 'Failed'],
  ['unconfirmed', 'Unconfirmed'],
  ['skipped', 'Skipped'],
  ['cancelled', 'Cancelled'],
];

/** A text's delivery, live: the subscription pushes each change over the WebSocket. */
export function MessagePage({ id }: { id: string }) {
  const [{ data, error }] = useQuery({ query: MessageQuery, variables: { id }, requestPolicy: 'network-only' });
  const [live] = useSubscription({ query: ProgressSubscription, variables: { id } });
  const m = data?.message;
  if (!m) return error ? <ErrorNote error={error} /> : <p aria-busy="true">Loading…</p>;
  const progress = live.data?.messageProgress;
  const status = progress?.status ?? m.status;
  const counts: Counts = progress?.counts ?? m.counts;
  const settled = counts.total - counts.queued - counts.sending;
  return (
    <>
      <p>
        <Link to="/compose">← Send another</Link>
      </p>
      <h1>Text progress</h1>
      <blockquote>{m.body}</blockquote>
      <p>
        {m.recipientCount} recipient{m.recipientCount === 1 ? '' : 's'}, {m.segments} segment{m.segments === 1 ? '' : 's'} each
        {status === 'SCHEDULED' ? `; sends ${new Date(m.sendAt).toLocaleString()}` : ''}.
      </p>
      <p role="status" aria-live="polite" className="status">
        Status: <strong data-testid="message-status">{label(status)}</strong>
        {live.error ? ' (live updates stopped: reload to see the latest)' : progress ? ' (live)' : ''}
      </p>
      <progress max={counts.total || 1} value={settled} aria-label="Delivery progress" />
      <table className="counts">
        <caption>Recipients by state</caption>
        <tbody>
          {ROWS.map(([k, name]) => (
            <tr key={k}>
              <th scope="row">{name}</th>
              <td data-testid={`count-${k}`}>{counts[k]}</td>
            </tr>
          ))}
          <tr>
            <th scope="row">Total</th>
            <td>{counts.total}</td>
          </tr>
        </tbody>
      </table>
    </>
  );
}
