/**
 * Domains anyone can get an address at: claiming one would let a workspace sign in (and
 * require single sign-on of) strangers. The largest providers, by their own domains and
 * country variants. The npm list `free-email-domains` was the first choice, but its install
 * script downloads the list, which an install without internet cannot do.
 */
const PUBLIC_MAIL_DOMAINS: ReadonlySet<string> = new Set([
  'gmail.com', 'googlemail.com', 'google.com',
  'outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'passport.com',
  'outlook.es', 'hotmail.es', 'live.com.mx', 'hotmail.com.mx', 'outlook.com.mx', 'hotmail.co.uk', 'live.co.uk', 'hotmail.fr', 'live.fr', 'hotmail.de', 'hotmail.it', 'hotmail.com.ar', 'hotmail.com.br', 'live.com.ar',
  'yahoo.com', 'ymail.com', 'rocketmail.com', 'yahoo.es', 'yahoo.com.mx', 'yahoo.com.ar', 'yahoo.com.br', 'yahoo.co.uk', 'yahoo.fr', 'yahoo.de', 'yahoo.it', 'yahoo.co.jp', 'yahoo.co.in',
  'icloud.com', 'me.com', 'mac.com',
  'aol.com', 'aim.com', 'verizon.net', 'att.net', 'comcast.net', 'sbcglobal.net',
  'proton.me', 'protonmail.com', 'protonmail.ch', 'pm.me',
  'gmx.com', 'gmx.net', 'gmx.de', 'web.de', 't-online.de', 'freenet.de',
  'mail.com', 'email.com', 'usa.com', 'inbox.com', 'zoho.com', 'zohomail.com', 'fastmail.com', 'fastmail.fm', 'hey.com',
  'tutanota.com', 'tutanota.de', 'tuta.io', 'tutamail.com', 'mailbox.org', 'posteo.de', 'disroot.org',
  'yandex.com', 'yandex.ru', 'ya.ru', 'mail.ru', 'bk.ru', 'inbox.ru', 'list.ru', 'rambler.ru',
  'qq.com', '163.com', '126.com', 'yeah.net', 'sina.com', 'sohu.com', 'aliyun.com',
  'naver.com', 'daum.net', 'hanmail.net', 'rediffmail.com',
  'orange.fr', 'wanadoo.fr', 'free.fr', 'laposte.net', 'sfr.fr', 'libero.it', 'virgilio.it', 'tiscali.it', 'terra.com.br', 'uol.com.br', 'bol.com.br', 'btinternet.com', 'sky.com', 'shaw.ca', 'rogers.com', 'bigpond.com',
  'mailinator.com', 'guerrillamail.com', 'sharklasers.com', '10minutemail.com', 'temp-mail.org', 'yopmail.com', 'trashmail.com',
]);

export function isPublicMailDomain(domain: string): boolean {
  return PUBLIC_MAIL_DOMAINS.has(domain);
}
