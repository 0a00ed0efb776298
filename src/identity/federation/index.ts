/** OpenID Connect login (FranceConnect, ProConnect). */
export {};
