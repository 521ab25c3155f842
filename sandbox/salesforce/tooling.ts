/**
 * The Tooling API objects behind Change Data Capture selection and custom channels:
 * `PlatformEventChannel` (a custom channel, `FullName: 'Name__chn'`, `Metadata.channelType: 'data'`)
 * and `PlatformEventChannelMember` (`Metadata: { eventChannel, selectedEntity, filterExpression }`;
 * the standard channel is `ChangeEvents`), created by POST to `tooling/sobjects/<type>`, filters
 * changed by PATCH, listed by `tooling/query` (`SELECT … FROM PlatformEventChannel` /
 * `… FROM PlatformEventChannelMember`, every row; the fake does not filter). Creating or changing
 * them needs Customize Application. Sources: Change Data Capture guide, "Add a Filter with Tooling
 * API" and "Get Custom Channels and Channel Members"; Tooling API reference,
 * PlatformEventChannelMember. The refusal without the permission (403 INSUFFICIENT_ACCESS) and
 * `EventChannel` holding the channel's name are assumptions: the docs show neither.
 */
import express, { type Request, type Router } from 'express';
import { FilterError } from './change-filter.ts';
import { STANDARD_CHANNEL } from './change-events.ts';
import type { SalesforceContext } from './context.ts';
import { SfHttpError } from './errors.ts';

interface ToolingOptions {
  readonly customizeApplication: () => boolean;
  /** Querying them needs View Setup and Configuration. */
  readonly viewSetup: () => boolean;
}

const CHANNEL_NAME = /^[A-Za-z][A-Za-z0-9_]*__chn$/;

function metadataOf(req: Request): Record<string, unknown> {
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
  const metadata = body['Metadata'];
  return typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>) : {};
}

export function toolingRoutes(context: SalesforceContext, options: ToolingOptions): Router {
  const router = express.Router();
  const bus = context.org.changeEvents;
  const channelIds = new Map<string, string>();
  const mayCustomize = (): void => {
    if (!options.customizeApplication()) {
      throw new SfHttpError(403, 'INSUFFICIENT_ACCESS', 'insufficient access rights on object id');
    }
  };
  const filterRefused = (error: unknown): never => {
    if (error instanceof FilterError) throw new SfHttpError(400, 'INVALID_FIELD', error.message);
    throw error;
  };

  router.post('/services/data/:version/tooling/sobjects/PlatformEventChannel', (req, res) => {
    mayCustomize();
    const fullName = (req.body as { FullName?: unknown } | undefined)?.FullName;
    const metadata = metadataOf(req);
    if (typeof fullName !== 'string' || !CHANNEL_NAME.test(fullName)) {
      throw new SfHttpError(400, 'INVALID_INPUT', `invalid channel name: ${String(fullName)}`);
    }
    if (metadata['channelType'] !== 'data' && metadata['channelType'] !== 'event') {
      throw new SfHttpError(400, 'REQUIRED_FIELD_MISSING', 'Required field is missing: channelType');
    }
    if (bus.channels.has(fullName)) throw new SfHttpError(400, 'DUPLICATE_DEVELOPER_NAME', 'duplicate name');
    bus.channels.add(fullName);
    const id = `0YL${String(channelIds.size + 1).padStart(12, '0')}AAA`;
    channelIds.set(fullName, id);
    res.status(201).json({ id, success: true, errors: [], warnings: [], infos: [] });
  });

  router.post('/services/data/:version/tooling/sobjects/PlatformEventChannelMember', (req, res) => {
    mayCustomize();
    const metadata = metadataOf(req);
    const { eventChannel, selectedEntity, filterExpression } = metadata;
    if (typeof eventChannel !== 'string' || typeof selectedEntity !== 'string') {
      throw new SfHttpError(400, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: eventChannel, selectedEntity');
    }
    if (eventChannel !== STANDARD_CHANNEL && !bus.channels.has(eventChannel)) {
      throw new SfHttpError(400, 'INVALID_INPUT', `no such channel: ${eventChannel}`);
    }
    const duplicate = [...bus.members.values()].some(
      (m) => m.eventChannel === eventChannel && m.selectedEntity === selectedEntity,
    );
    if (duplicate) throw new SfHttpError(400, 'DUPLICATE_DEVELOPER_NAME', 'duplicate channel member');
    try {
      const member = bus.addMember(
        eventChannel,
        selectedEntity,
        typeof filterExpression === 'string' ? filterExpression : null,
      );
      res.status(201).json({ id: member.id, success: true, errors: [], warnings: [], infos: [] });
    } catch (error) {
      filterRefused(error);
    }
  });

  router.patch('/services/data/:version/tooling/sobjects/PlatformEventChannelMember/:id', (req, res) => {
    mayCustomize();
    const member = bus.members.get(req.params['id']);
    if (member === undefined) throw new SfHttpError(404, 'NOT_FOUND', 'The requested resource does not exist');
    const filterExpression = metadataOf(req)['filterExpression'];
    try {
      bus.members.delete(member.id);
      const replaced = bus.addMember(
        member.eventChannel,
        member.selectedEntity,
        typeof filterExpression === 'string' ? filterExpression : null,
      );
      bus.members.delete(replaced.id);
      bus.members.set(member.id, { ...replaced, id: member.id });
    } catch (error) {
      bus.members.set(member.id, member);
      filterRefused(error);
    }
    res.status(204).end();
  });

  router.get('/services/data/:version/tooling/query', (req, res) => {
    if (!options.viewSetup()) {
      throw new SfHttpError(403, 'INSUFFICIENT_ACCESS', 'insufficient access rights on object id');
    }
    const q = typeof req.query['q'] === 'string' ? req.query['q'] : '';
    const from = /\bFROM\s+(\w+)/i.exec(q)?.[1]?.toLowerCase();
    let records: Record<string, unknown>[];
    if (from === 'platformeventchannel') {
      records = [...bus.channels].map((name) => ({
        attributes: { type: 'PlatformEventChannel' },
        Id: channelIds.get(name),
        DeveloperName: name.replace(/__chn$/, ''),
        ChannelType: 'data',
        MasterLabel: name,
      }));
    } else if (from === 'platformeventchannelmember') {
      records = [...bus.members.values()].map((m) => ({
        attributes: { type: 'PlatformEventChannelMember' },
        Id: m.id,
        DeveloperName: `${m.eventChannel.replace(/__chn$/, '_chn')}_${m.selectedEntity}`,
        EventChannel: m.eventChannel,
        SelectedEntity: m.selectedEntity,
        FilterExpression: m.filterExpression,
      }));
    } else {
      throw new SfHttpError(400, 'INVALID_TYPE', `sObject type '${from ?? ''}' is not supported.`);
    }
    res.json({ size: records.length, totalSize: records.length, done: true, entityTypeName: from, records });
  });
  return router;
}
