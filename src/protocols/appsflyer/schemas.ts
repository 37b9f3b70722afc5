import { Type } from '@sinclair/typebox';

const Field = (description: string) => Type.Optional(Type.Unknown({ description }));

/**
 * The body of AppsFlyer's S2S events API (support.appsflyer.com/hc/en-us/articles/207034486,
 * dev.appsflyer.com "S2S events API for mobile"), for the OpenAPI document (validated in the
 * handler). Field names are AppsFlyer's, camelCase and snake_case as it mixes them.
 */
export const InAppEventBody = Type.Object(
  {
    appsflyer_id: Field("required unless customer_user_id: AppsFlyer's device id, e.g. 1234567890123-1234567"),
    customer_user_id: Field("the app's own user id"),
    eventName: Field('required: the event name, e.g. af_purchase (event_name is read too)'),
    eventValue: Field('a JSON object as a string, e.g. "{\\"af_revenue\\":\\"6\\"}", or ""; af_revenue is the revenue (event_value is read too)'),
    eventCurrency: Field('3-letter currency code of af_revenue; USD by default (event_currency is read too)'),
    eventTime: Field('when it happened, UTC: yyyy-MM-dd HH:mm:ss.SSS; else receipt (event_time is read too)'),
    ip: Field("the device's IP"),
    idfa: Field('iOS advertising id'),
    idfv: Field('iOS vendor id'),
    advertising_id: Field('Google advertising id'),
    amazon_aid: Field('Amazon Fire advertising id'),
    oaid: Field('Open Advertising ID'),
  },
  { additionalProperties: true },
);
