import { Type } from '@sinclair/typebox';

const Param = (description: string) => Type.Optional(Type.Unknown({ description }));

/** Parameters of Adjust's S2S endpoints (dev.adjust.com/en/api/s2s-api), for the OpenAPI document (validated in the handlers). */
const Common = {
  s2s: Param('required: 1'),
  app_token: Param("required: the app's Adjust app token (s2s apps configure --adjust-app-token)"),
  idfa: Param('iOS advertising id'),
  gps_adid: Param('Google advertising id'),
  fire_adid: Param('Amazon Fire advertising id'),
  oaid: Param('Open Advertising ID (Huawei)'),
  web_uuid: Param('web id'),
  idfv: Param('iOS vendor id'),
  android_id: Param('Android id'),
  adid: Param("Adjust's device id"),
  created_at_unix: Param('epoch seconds when it happened'),
  created_at: Param('ISO 8601 time when it happened, e.g. 2017-01-02T15:04:05.000+0000'),
  ip_address: Param("the device's IP"),
  environment: Param('production (default) or sandbox'),
};

export const AdjustEventQuery = Type.Object({
  ...Common,
  event_token: Param('required: the Adjust event token; stored as the event id it is mapped to (--adjust-event), else as itself'),
  revenue: Param('revenue of the event'),
  currency: Param('3-letter currency code; required with revenue'),
  callback_params: Param('JSON object of strings'),
  partner_params: Param('JSON object of strings'),
});

export const AdjustSessionQuery = Type.Object(Common);

export const AdjustAdRevenueQuery = Type.Object({
  ...Common,
  source: Param('required: where the revenue was measured; publisher for server-to-server ad revenue'),
  revenue: Param('required (or amount): the ad revenue'),
  amount: Param('the ad revenue, when revenue is not given'),
  currency: Param('required: 3-letter currency code'),
  ad_impressions_count: Param('required: how many impressions the revenue is for'),
  ad_revenue_network: Param('the ad network that served the impressions'),
  ad_revenue_unit: Param('the ad unit'),
  ad_revenue_placement: Param('the placement'),
  callback_params: Param('JSON object of strings'),
});

export const AdjustEventAnswer = Type.Object({ status: Type.Literal('OK') });

export const AdjustSessionAnswer = Type.Object({
  app_token: Type.String(),
  adid: Type.String({ description: "this server's id of the user" }),
  timestamp: Type.String(),
  message: Type.String({ description: 'Install tracked (the first session) or Session tracked' }),
});
