import { Type } from '@sinclair/typebox';

const Text = (description: string) => Type.Optional(Type.Unknown({ description }));

/**
 * Tracking-link parameters, for the OpenAPI document. Validation is done by the handler
 * (protocols/params.ts) because the seeds' senders repeat keys and leave values blank.
 */
export const TrackingQuery = Type.Object({
  campaign_id: Text('the campaign (from `s2s campaigns create`); required unless s2stoken is given'),
  s2stoken: Text("Swaarm's web flow: an app token instead of a campaign"),
  click_id: Text("/click: the network's own click id, sent back in its postbacks"),
  completed_view_id: Text("/view: the network's own view id, sent back in its postbacks"),
  no_redirect: Text('true: answer {"id": …} instead of a 302 to the store'),
  idfa: Text('iOS advertising id'),
  gaid: Text('Google advertising id'),
  uuid: Text('Android id'),
  fire_adid: Text('Fire OS advertising id'),
  user_ip: Text("the device's IP; else X-Forwarded-For from a trusted proxy, else the peer"),
  user_ua: Text("the device's user agent; else the User-Agent header"),
  platform: Text('pc, xbox, playstation … (for IP + platform matching)'),
  storefront: Text('steam, epic …'),
  site_id: Text('publisher app or site'),
  publisher: Text('publisher name'),
  creative: Text('creative'),
  sub1: Text('free sub-parameter'),
  sub2: Text('free sub-parameter'),
  sub3: Text('free sub-parameter'),
  sub4: Text('free sub-parameter'),
  sub5: Text('free sub-parameter'),
});

export const TouchpointAnswer = Type.Object({ id: Type.String({ description: '24 lowercase hex, time-ordered' }) });
