import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { ErrorNote } from '../errors.js';
import { QueueQuery, RetryMutation } from '../operations.js';

const PAGE = 20;

/** Platform admins: the SMS queue's numbers and health, failed sends, and retrying them. */
export function QueuePage() {
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<string[]>([]);
  const [{ data, fetching, error }, refresh] = useQuery({ query: QueueQuery, variables: { offset }, requestPolicy: 'network-only' });
  const [retry, doRetry] = useMutation(RetryMutation);
  const [note, setNote] = useState('');

  const run = async (vars: { ids?: string[]; all?: boolean }) => {
    const r = await doRetry(vars);
    if (r.data) {
      const { retried, skipped } = r.data.retryFailedJobs;
      setNote(`${retried} sent again${skipped.length ? `; ${skipped.length} skipped (${skipped.map((s) => s.reason).join(', ')})` : ''}.`);
      setSelected([]);
      refresh({ requestPolicy: 'network-only' });
    }
  };

  if (!data) return error ? <ErrorNote error={error} /> : <p aria-busy="true">Loading…</p>;
  const q = data.queueMetrics;
  const page = data.failedJobs;
  return (
    <>
      <h1>SMS queue</h1>
      <p>
        Health: <strong>{data.queueHealth.status}</strong>
        {data.queueHealth.reasons.length ? ` (${data.queueHealth.reasons.join('; ')})` : ''}{' '}
        <button type="button" onClick={() => refresh({ requestPolicy: 'network-only' })} disabled={fetching}>
          Refresh
        </button>
      </p>
      <dl className="metrics">
        {(
          [
            ['Waiting', q.waiting],
            ['Active', q.active],
            ['Delayed', q.delayed],
            ['Failed', q.failed],
            ['Completed', q.completed],
            ['Sent in the last minute', q.sentLastMinute],
            ['Workers', q.workers],
            ['Oldest waiting', q.oldestWaitingSeconds === null ? 'none' : `${q.oldestWaitingSeconds} s`],
            ['Paused', q.paused ? 'yes' : 'no'],
          ] as Array<[string, string | number]>
        ).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <h2>Failed sends ({page.total})</h2>
      <ErrorNote error={retry.error} />
      <p role="status" aria-live="polite">
        {note}
      </p>
      {page.jobs.length === 0 ? (
        <p>None.</p>
      ) : (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">
                  <span className="visually-hidden">Select</span>
                </th>
                <th scope="col">Church</th>
                <th scope="col">Phone</th>
                <th scope="col">Error</th>
                <th scope="col">Attempts</th>
                <th scope="col">Failed at</th>
              </tr>
            </thead>
            <tbody>
              {page.jobs.map((j) => (
                <tr key={j.id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Select the send to ${j.phone ?? 'unknown'}`}
                      checked={selected.includes(j.id)}
                      onChange={() => setSelected((s) => (s.includes(j.id) ? s.filter((x) => x !== j.id) : [...s, j.id]))}
                    />
                  </td>
                  <td>{j.churchName ?? ''}</td>
                  <td>{j.phone ?? ''}</td>
                  <td>{j.error}</td>
                  <td>{j.attempts}</td>
                  <td>{j.failedAt ? new Date(j.failedAt).toLocaleString() : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            <button type="button" disabled={!selected.length || retry.fetching} onClick={() => run({ ids: selected })}>
              Retry selected ({selected.length})
            </button>{' '}
            <button type="button" disabled={retry.fetching} onClick={() => run({ all: true })}>
              Retry all
            </button>
          </p>
          <nav aria-label="Pages" className="pager">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              Previous page
            </button>
            <button type="button" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
              Next page
            </button>
          </nav>
        </>
      )}
    </>
  );
}
