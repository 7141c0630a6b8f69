import { z } from 'zod';

/**
 * Our own shapes of the Genesys responses we use, parsed at the boundary. Field names are the
 * SDK models' (purecloud-platform-client-v2 index.d.ts); everything we do not read is dropped,
 * and every field is optional because the API omits empty ones.
 */

const str = z.string().optional();

const SessionSchema = z.object({
  mediaType: str,
  direction: str,
  recording: z.boolean().optional(),
});

const ParticipantSchema = z.object({
  participantId: str,
  participantName: str,
  purpose: str,
  userId: str,
  screenRecording: z.boolean().optional(),
  sessions: z.array(SessionSchema).optional(),
});

export const ConversationDetailSchema = z.object({
  conversationId: z.string(),
  conversationStart: str,
  conversationEnd: str,
  originatingDirection: str,
  participants: z.array(ParticipantSchema).optional(),
});
export type ConversationDetail = z.infer<typeof ConversationDetailSchema>;

/** GET /api/v2/analytics/conversations/details?id=... (AnalyticsConversationWithoutAttributesMultiGetResponse). */
export const ConversationDetailsResponseSchema = z.object({
  conversations: z.array(ConversationDetailSchema).optional(),
});

export const UserSchema = z.object({
  id: z.string(),
  name: str,
  email: str,
  username: str,
  state: str,
  division: z.object({ id: str, name: str }).optional(),
  department: str,
});
export type GenesysUser = z.infer<typeof UserSchema>;

/** POST /api/v2/users/search (UsersSearchResponse). */
export const UsersSearchResponseSchema = z.object({
  total: z.number().optional(),
  pageCount: z.number().optional(),
  pageSize: z.number().optional(),
  pageNumber: z.number().optional(),
  results: z.array(UserSchema).optional(),
});

/** GET /api/v2/users?id=...&state=any (UserEntityListing). */
export const UserListingSchema = z.object({
  entities: z.array(UserSchema).optional(),
  pageSize: z.number().optional(),
  pageNumber: z.number().optional(),
  pageCount: z.number().optional(),
  total: z.number().optional(),
  nextUri: str,
});

export const RecordingMetadataSchema = z.object({
  id: z.string(),
  conversationId: str,
  startTime: str,
  endTime: str,
  media: str,
  mediaSubtype: str,
  fileState: str,
});
export type RecordingMetadata = z.infer<typeof RecordingMetadataSchema>;

/** GET /api/v2/conversations/{id}/recordingmetadata: Array<RecordingMetadata>. */
export const RecordingMetadataListSchema = z.array(RecordingMetadataSchema);

/** GET /api/v2/recordings/retention/query (RecordingRetentionCursorEntityListing). */
export const RetentionListingSchema = z.object({
  entities: z
    .array(
      z.object({
        conversationId: str,
        recordingId: str,
      }),
    )
    .optional(),
  nextUri: str,
});

/** GET /api/v2/tokens/me (TokenInfo): who the client is, for `check`. */
export const TokenInfoSchema = z.object({
  organization: z.object({ id: str, name: str }).optional(),
  OAuthClient: z.object({ id: str, name: str }).optional(),
});
export type TokenInfo = z.infer<typeof TokenInfoSchema>;

/**
 * The export's `{rid}.{ext}_metadata.json`. Only part of its schema is documented (mediaType,
 * provider, userIds; conversationId, recordingId, startTime, endTime seen in real files).
 */
export const SidecarSchema = z.object({
  conversationId: str,
  recordingId: str,
  mediaType: str,
  userIds: z.array(z.string()).optional(),
  startTime: str,
  endTime: str,
});
export type Sidecar = z.infer<typeof SidecarSchema>;

/** A Genesys error body (`{message, code, status}`), for logs only. */
export const ErrorBodySchema = z.object({ message: str, code: str, status: z.number().optional() });

/**
 * Media type in one vocabulary (RecordingMetadata.media: audio, chat, messaging, email, screen)
 * whether it came from the recording, an analytics session or an export sidecar.
 */
export function normalizeMediaType(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.toLowerCase();
  switch (v) {
    case 'voice':
    case 'call':
    case 'callback':
    case 'audio':
      return 'audio';
    case 'message':
    case 'messaging':
      return 'messaging';
    case 'screen':
    case 'screenshare':
    case 'screenmonitoring':
      return 'screen';
    default:
      return v;
  }
}

/** Extensions that are audio whatever the conversation was (exported calls are `.opus`). */
const AUDIO_EXTENSIONS = new Set(['opus', 'wav', 'mp3', 'ogg', 'oga', 'm4a', 'flac', 'gsm']);

export function isAudioExtension(ext: string | undefined): boolean {
  return ext !== undefined && AUDIO_EXTENSIONS.has(ext.toLowerCase());
}

/** POST .../audits/query and GET .../audits/query/{id} (QualityAuditQueryExecutionStatusResponse, AuditQueryExecutionStatusResponse). */
export const AuditExecutionStatusSchema = z.object({
  id: z.string().min(1),
  state: z.string(),
});

/** GET .../audits/query/{id}/results: the entities are parsed one by one (audits.ts), so that one bad message is not a bad page. */
export const AuditResultsSchema = z.object({
  id: str,
  pageSize: z.number().optional(),
  cursor: str,
  entities: z.array(z.unknown()).optional(),
});

const EntityRefSchema = z.object({ id: str, name: str });

/** QualityAuditLogMessage and AuditLogMessage, the fields we keep; both IP spellings are read from either. */
export const AuditLogMessageSchema = z.object({
  id: z.string().min(1),
  eventDate: z.string(),
  serviceName: str,
  entityType: str,
  action: str,
  level: str,
  status: str,
  user: EntityRefSchema.optional(),
  client: z.object({ id: str }).optional(),
  remoteIps: z.array(z.string()).optional(),
  remoteIp: z.array(z.string()).optional(),
  entity: EntityRefSchema.optional(),
  context: z.record(z.string(), z.string()).optional(),
  application: str,
  propertyChanges: z
    .array(
      z.object({
        property: str,
        oldValues: z.array(z.string()).optional(),
        newValues: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

/** GET /api/v2/audits/query/servicemapping (AuditQueryServiceMapping). */
export const AuditServiceMappingSchema = z.object({
  services: z
    .array(
      z.object({
        name: str,
        entities: z.array(z.object({ name: str, actions: z.array(z.string()).optional() })).optional(),
      }),
    )
    .optional(),
});
