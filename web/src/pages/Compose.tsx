import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import type { ChurchChoice } from '../App.js';
import { ErrorNote } from '../errors.js';
import type { AudienceInput, MemberStatus } from '../gql/graphql.js';
import { GroupsQuery, PreviewQuery, SendMutation } from '../operations.js';
import { navigate } from '../router.js';

const STATUSES: MemberStatus[] = ['MEMBER', 'REGULAR', 'VISITOR', 'INACTIVE'];
const label = (s: string) => s.charAt(0) + s.slice(1).toLowerCase();
const money = (n: number) => n.toLocaleString(undefined, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 });

type Kind = 'groups' | 'statuses' | 'everyone';

/** Compose a text: a live preview (segments, cost, who is skipped and why) as you type, then send. */
export function Compose({ church }: { church: ChurchChoice }) {
  const churchId = church.church.id;
  const [body, setBody] = useState('');
  const [kind, setKind] = useState<Kind>('groups');
  const [groupIds, setGroupIds] = useState<string[]>([]);
  const [statuses, setStatuses] = useState<MemberStatus[]>(['MEMBER']);
  const [urgent, setUrgent] = useState(false);
  const [groups] = useQuery({ query: GroupsQuery, variables: { churchId } });
  const [{ fetching: sending, error: sendError }, send] = useMutation(SendMutation);

  const audience: AudienceInput = kind === 'everyone' ? { everyone: true } : kind === 'groups' ? { groupIds } : { statuses };
  const ready = body.trim().length > 0 && (kind === 'everyone' || (kind === 'groups' ? groupIds.length > 0 : statuses.length > 0));

  // the preview follows the text once typing pauses
  const [asked, setAsked] = useState({ body, audience, urgent });
  const key = JSON.stringify({ body, audience, urgent });
  useEffect(() => {
    const t = setTimeout(() => setAsked({ body, audience, urgent }), 250);
    return () => clearTimeout(t);
  }, [key]);
  const [preview] = useQuery({ query: PreviewQuery, variables: { churchId, ...asked }, pause: !ready || !asked.body.trim() });
  const p = preview.data?.previewMessage;

  const toggleGroup = (id: string) => setGroupIds((g) => (g.includes(id) ? g.filter((x) => x !== id) : [...g, id]));
  const toggleStatus = (s: MemberStatus) => setStatuses((l) => (l.includes(s) ? l.filter((x) => x !== s) : [...l, s]));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await send({ churchId, body, audience, urgent });
    if (r.data?.sendMessage) navigate(`/messages/${r.data.sendMessage.id}`);
  };

  return (
    <>
      <h1>Send a text</h1>
      <form onSubmit={submit} className="compose">
        <p>
          <label htmlFor="body">Message</label>
          <textarea id="body" rows={5} value={body} onChange={(e) => setBody(e.target.value)} aria-describedby="preview" />
        </p>
        <fieldset>
          <legend>To</legend>
          <p className="check">
            <input type="radio" id="to-groups" name="to" checked={kind === 'groups'} onChange={() => setKind('groups')} />
            <label htmlFor="to-groups">Groups</label>
            <input type="radio" id="to-statuses" name="to" checked={kind === 'statuses'} onChange={() => setKind('statuses')} />
            <label htmlFor="to-statuses">People by status</label>
            <input type="radio" id="to-everyone" name="to" checked={kind === 'everyone'} onChange={() => setKind('everyone')} />
            <label htmlFor="to-everyone">Everyone</label>
          </p>
          {kind === 'groups' && (
            <ul className="choices" aria-label="Groups">
              {groups.data?.groups.nodes.map((g) => (
                <li key={g.id} className="check">
                  <input type="checkbox" id={`g-${g.id}`} checked={groupIds.includes(g.id)} onChange={() => toggleGroup(g.id)} />
                  <label htmlFor={`g-${g.id}`}>
                    {g.name} ({g.memberCount})
                  </label>
                </li>
              ))}
            </ul>
          )}
          {kind === 'statuses' && (
            <ul className="choices" aria-label="Statuses">
              {STATUSES.map((s) => (
                <li key={s} className="check">
                  <input type="checkbox" id={`s-${s}`} checked={statuses.includes(s)} onChange={() => toggleStatus(s)} />
                  <label htmlFor={`s-${s}`}>{label(s)}</label>
                </li>
              ))}
            </ul>
          )}
        </fieldset>
        <p className="check">
          <input id="urgent" type="checkbox" checked={urgent} onChange={(e) => setUrgent(e.target.checked)} />
          <label htmlFor="urgent">Urgent: send now, even in quiet hours</label>
        </p>
        <section id="preview" aria-live="polite" aria-labelledby="preview-title" className="preview">
          <h2 id="preview-title">Preview</h2>
          {!ready && <p>Write a message and choose who gets it.</p>}
          {ready && preview.error && <ErrorNote error={preview.error} />}
          {ready && p && (
            <dl className="facts">
              <dt>Recipients</dt>
              <dd data-testid="recipients">
                {p.recipientCount} of {p.audienceCount}
              </dd>
              <dt>Skipped</dt>
              <dd data-testid="skipped">
                {p.skipped.noPhone} without a phone, {p.skipped.optedOut} opted out, {p.skipped.sharedPhone} sharing a phone
              </dd>
              <dt>Length</dt>
              <dd data-testid="segments">
                {p.characters} characters, {p.segments} segment{p.segments === 1 ? '' : 's'} ({p.encoding}, {p.remainingInSegment} left in this one)
              </dd>
              <dt>Estimated cost</dt>
              <dd>{money(p.estimatedCost)}</dd>
              <dt>Sends</dt>
              <dd>{new Date(p.sendAt).toLocaleString()}</dd>
            </dl>
          )}
        </section>
        <ErrorNote error={sendError} />
        <button type="submit" disabled={!ready || sending || !p || p.recipientCount === 0}>
          {sending ? 'Sending…' : p ? `Send to ${p.recipientCount} ${p.recipientCount === 1 ? 'person' : 'people'}` : 'Send'}
        </button>
      </form>
    </>
  );
}
