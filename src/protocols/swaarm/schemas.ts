import { Type } from '@sinclair/typebox';

const Param = (description: string) => Type.Optional(Type.Unknown({ description }));

/** Swaarm event parameters, for the OpenAPI document (validated in the handlers). */
export const SwaarmEventQuery = Type.Object({
  s2s_token: Param('/postback: the app token (or the Authorization header)'),
  token: Param('/s2sevent: the app token (or the Authorization header)'),
  user_id: Param('required: the app user id (IDFV, AppSetId, or a click id)'),
  event_id: Param('required on /postback; __open is a session; blank on /s2sevent only attributes'),
  ip_address: Param("/postback: the user's IP"),
  user_agent: Param("/postback: the user's user agent"),
  user_ip: Param("/s2sevent: the user's IP (required)"),
  user_ua: Param("/s2sevent: the user's user agent (required)"),
  sale_amount: Param('revenue of the event'),
  sale_amount_currency: Param('3-letter currency code; USD by default'),
  aggregated_event_value: Param('a number to sum in reports'),
  event_value: Param('any text, often JSON'),
  event_uid: Param('makes a retried event count once (as does an Idempotency-Key header)'),
});

export const OkAnswer = Type.Object({ status: Type.Integer(), message: Type.String() });

export const S2sEventAnswer = Type.Object({
  status: Type.Integer(),
  message: Type.String(),
  attribution: Type.Object({
    status: Type.String({ description: 'attributed, organic or rejected' }),
    match_type: Type.String({ description: 'click_id, view_id, device_id, fingerprint, ip, claimed or organic' }),
    campaign_id: Type.Union([Type.String(), Type.Null()]),
    network: Type.Union([Type.String(), Type.Null()]),
    click_id: Type.Union([Type.String(), Type.Null()]),
  }),
});
