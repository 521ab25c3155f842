// Generated from app.json by `righttouch hubspot-project`: edit the generator, not this file.
// The record's engagement model and its reason (CRM properties), and its recent changes
// (RightTouch's history, fetched with HubSpot's signed request; the card adds the portal id from
// its context, as HubSpot's legacy-card converter does).
import React, { useEffect, useState } from 'react';
import { Divider, EmptyState, Flex, Heading, Tag, Text, hubspot, type CrmContext } from '@hubspot/ui-extensions';
import { useCrmProperties } from '@hubspot/ui-extensions/crm';

interface Change {
  oldTier: string | null;
  newTier: string;
  at: number;
  reasons: string[];
}

const HISTORY_URL = "https://righttouch.example.com/card/hubspot/history";
const OBJECT_TYPES: Record<string, 'company' | 'contact'> = { '0-2': 'company', '0-1': 'contact' };

/** RightTouch's history URL for the record the card shows: portal, record type and id from the context. */
export function historyRequestUrl(context: CrmContext): string | undefined {
  const type = OBJECT_TYPES[context.crm.objectTypeId];
  if (type === undefined) return undefined;
  const url = new URL(HISTORY_URL);
  url.searchParams.set('portalId', String(context.portal.id));
  url.searchParams.set('type', type);
  url.searchParams.set('id', String(context.crm.objectId));
  return url.toString();
}

hubspot.extend<'crm.record.sidebar'>(({ context }) => <EngagementModelCard context={context} />);

export function EngagementModelCard({ context }: { context: CrmContext }) {
  const { properties, isLoading } = useCrmProperties([
    'engagement_model',
    'engagement_model_reason',
    'engagement_model_next',
    'engagement_model_updated_at',
  ]);
  const [history, setHistory] = useState<Change[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  // The policy's tier labels ("High-touch"), from RightTouch's answer: the property holds values.
  const [labels, setLabels] = useState<Record<string, string>>({});
  const label = (value: string): string => labels[value] ?? value;
  const url = historyRequestUrl(context);
  useEffect(() => {
    if (url === undefined) return;
    hubspot
      .fetch(url, { method: 'GET' })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
      .then((body: { history: Change[]; labels?: Record<string, string> }) => {
        setHistory(body.history.slice(-5).reverse());
        setLabels(body.labels ?? {});
      })
      .catch((reason: unknown) => setError(String(reason)));
  }, [url]);

  if (isLoading) return <Text>Loading…</Text>;
  if (!properties.engagement_model) {
    return <EmptyState title="No engagement model yet">
      <Text>RightTouch sets it at its next sync.</Text>
    </EmptyState>;
  }
  return (
    <Flex direction="column" gap="small">
      <Heading>
        <Tag variant="success">{label(properties.engagement_model)}</Tag>
      </Heading>
      <Text>{properties.engagement_model_reason}</Text>
      {properties.engagement_model_next && (
        <Text format={{ italic: true }}>Next tier: {properties.engagement_model_next}</Text>
      )}
      <Divider />
      <Text format={{ fontWeight: 'bold' }}>Recent changes</Text>
      {error !== undefined && <Text>History is unavailable right now.</Text>}
      {history?.length === 0 && <Text>No changes yet.</Text>}
      {history?.map((change) => (
        <Text key={change.at}>
          {new Date(change.at).toLocaleDateString()}: {change.oldTier === null ? 'none' : label(change.oldTier)} →{' '}
          {label(change.newTier)}
        </Text>
      ))}
    </Flex>
  );
}
