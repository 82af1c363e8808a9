import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import type { ChurchChoice } from '../App.js';
import { ErrorNote } from '../errors.js';
import type { MemberStatus } from '../gql/graphql.js';
import { DirectoryQuery, GroupsQuery } from '../operations.js';
import { Link } from '../router.js';

const PAGE = 20;
const STATUSES: MemberStatus[] = ['MEMBER', 'REGULAR', 'VISITOR', 'INACTIVE'];
const label = (s: string) => s.charAt(0) + s.slice(1).toLowerCase();

/** The directory: search, filters (status, group, archived), order, and keyset paging forward and back. */
export function Directory({ church }: { church: ChurchChoice }) {
  const churchId = church.church.id;
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<MemberStatus | ''>('');
  const [groupId, setGroupId] = useState('');
  const [archived, setArchived] = useState(false);
  const [orderBy, setOrderBy] = useState<'NAME' | 'JOINED'>('NAME');
  // the cursors of the pages up to this one (keyset paging has no page numbers); a change of
  // search, filter or order starts again at the first page
  const filterKey = JSON.stringify([search, status, groupId, archived, orderBy]);
  const [paging, setPaging] = useState<{ key: string; cursors: Array<string | null> }>({ key: filterKey, cursors: [null] });
  const cursors = paging.key === filterKey ? paging.cursors : [null];
  const setCursors = (next: Array<string | null>) => setPaging({ key: filterKey, cursors: next });
  const after = cursors[cursors.length - 1] ?? null;

  // search as you type, once typing pauses
  useEffect(() => {
    const t = setTimeout(() => setSearch(typed.trim()), 300);
    return () => clearTimeout(t);
  }, [typed]);

  const filter = { search: search || undefined, status: status ? [status] : undefined, groupId: groupId || undefined, archived };
  const [{ data, fetching, error }] = useQuery({ query: DirectoryQuery, variables: { churchId, first: PAGE, after, filter, orderBy } });
  const [groups] = useQuery({ query: GroupsQuery, variables: { churchId } });
  const page = data?.members;
  const pageNo = cursors.length;
  const from = (pageNo - 1) * PAGE + 1;

  return (
    <>
      <h1>Directory</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <p>
          <label htmlFor="search">Search by name, email or phone</label>
          <input id="search" type="search" value={typed} onChange={(e) => setTyped(e.target.value)} />
        </p>
        <p>
          <label htmlFor="status">Status</label>
          <select id="status" value={status} onChange={(e) => setStatus(e.target.value as MemberStatus | '')}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {label(s)}
              </option>
            ))}
          </select>
        </p>
        <p>
          <label htmlFor="group">Group</label>
          <select id="group" value={groupId} onChange={(e) => setGroupId(e.target.value)}>
            <option value="">Any</option>
            {groups.data?.groups.nodes.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </p>
        <p>
          <label htmlFor="order">Order</label>
          <select id="order" value={orderBy} onChange={(e) => setOrderBy(e.target.value as 'NAME' | 'JOINED')}>
            <option value="NAME">Name</option>
            <option value="JOINED">Joined</option>
          </select>
        </p>
        <p className="check">
          <input id="archived" type="checkbox" checked={archived} onChange={(e) => setArchived(e.target.checked)} />
          <label htmlFor="archived">Archived only</label>
        </p>
      </form>
      <ErrorNote error={error} />
      <p aria-live="polite" className="count">
        {page ? (page.totalCount === 0 ? 'No one matches.' : `${from}–${from + page.nodes.length - 1} of ${page.totalCount} people`) : fetching ? 'Loading…' : ''}
      </p>
      {page && page.nodes.length > 0 && (
        <table aria-busy={fetching}>
          <caption className="visually-hidden">People, page {pageNo}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Household</th>
              <th scope="col">Phone</th>
              <th scope="col">Email</th>
            </tr>
          </thead>
          <tbody>
            {page.nodes.map((m) => (
              <tr key={m.id}>
                <th scope="row">
                  <Link to={`/members/${m.id}`}>{m.fullName}</Link>
                </th>
                <td>{label(m.status)}</td>
                <td>{m.household?.name ?? ''}</td>
                <td>
                  {m.phone ?? ''}
                  {m.smsOptedOut ? ' (no texts)' : ''}
                </td>
                <td>{m.email ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav aria-label="Pages" className="pager">
        <button type="button" disabled={pageNo === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <span>Page {pageNo}</span>
        <button type="button" disabled={!page?.pageInfo.hasNextPage} onClick={() => setCursors([...cursors, page!.pageInfo.endCursor])}>
          Next page
        </button>
      </nav>
    </>
  );
}
