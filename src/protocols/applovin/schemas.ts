import { Type } from '@sinclair/typebox';

const Param = (description: string) => Type.Optional(Type.Unknown({ description }));

/**
 * The parameters of `GET /ad_revenue/max`, for the OpenAPI document (validated in the handler).
 * The names are this server's: the URL template put in MAX maps MAX's macros onto them.
 */
export const MaxImpressionQuery = Type.Object({
  token: Param('required: a token granted the app (the template carries it; MAX sends no headers)'),
  app_id: Param('the app, when the token is granted several'),
  event_id: Param('required: {EVENT_ID}, the impression id; an impression is stored once'),
  revenue: Param('required: {REVENUE}, what the impression earned'),
  currency: Param('3-letter currency code of revenue; USD (what MAX reports in) by default'),
  ts: Param('{TS}: when the impression was shown, epoch seconds or milliseconds; else receipt'),
  idfa: Param('{IDFA}: the IDFA on iOS, the Google advertising id on Android'),
  idfv: Param('{IDFV}: the iOS vendor id'),
  user_id: Param("{USER_ID}: the app's own user id, as set in the MAX SDK"),
  ip: Param("{IP}: the device's IP"),
  network: Param('{NETWORK_NAME}: the network that served the ad'),
  ad_unit_id: Param('{AD_UNIT_ID}: the MAX ad unit'),
  placement: Param('{PLACEMENT}: the placement'),
  ad_format: Param('{AD_FORMAT}: the ad format (kept in event_value)'),
  country: Param('{CC}: the country code (kept in event_value)'),
});

export const MaxImpressionAnswer = Type.Object({ status: Type.Integer(), message: Type.String() });
