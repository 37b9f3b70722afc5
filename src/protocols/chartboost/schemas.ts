import { Type } from '@sinclair/typebox';

const Param = (description: string) => Type.Optional(Type.Unknown({ description }));

/** Chartboost's success and error body: `{"status": N, "message": "…"}`. */
export const ChartboostAnswer = Type.Object({ status: Type.Integer(), message: Type.String() });

/** v2 parameters (query, JSON or form body), for the OpenAPI document. */
export const ChartboostQuery = Type.Object({
  token: Param('your S2S API token'),
  app_id: Param('open: the app id'),
  click_id: Param('the click id (wins over completed_view_id)'),
  completed_view_id: Param('the completed view id'),
  idfa: Param('open: iOS advertising id'),
  gaid: Param('open: Google advertising id'),
  uuid: Param('open: Android id'),
  fire_adid: Param('open: Fire OS advertising id'),
  tracking_id: Param('open: tracking URL identifier'),
  version: Param('open: app version'),
  match_type: Param('open: how the MMP attributed'),
  rejected_reason: Param('open: reason code of a rejected install'),
  rejected_value: Param('open: metadata of the rejection'),
});

export const V1InstallBody = Type.Object({
  app_id: Type.String(),
  claim: Type.Integer({ enum: [0, 1], description: '1 if the network can claim the install' }),
  gaid: Type.Optional(Type.String()),
  ifa: Type.Optional(Type.String()),
  uuid: Type.Optional(Type.String()),
  organic: Type.Optional(Type.Integer({ enum: [0, 1] })),
  attributed_to: Type.Optional(Type.String()),
  timestamp: Type.Optional(Type.Integer({ description: 'UNIX seconds' })),
});

export const V3TrackBody = Type.Object({
  app_id: Type.String(),
  ifa: Type.Optional(Type.String()),
  gaid: Type.Optional(Type.String()),
  fire_adid: Type.Optional(Type.String()),
  uuid: Type.Optional(Type.String()),
  iap: Type.Object({
    product_id: Type.String(),
    price: Type.Number(),
    currency: Type.String({ minLength: 3, maxLength: 3 }),
    localized_title: Type.Optional(Type.String()),
    localized_description: Type.Optional(Type.String()),
  }),
  click_id: Type.Optional(Type.String()),
  completed_view_id: Type.Optional(Type.String()),
  match_type: Type.Optional(Type.String()),
});
