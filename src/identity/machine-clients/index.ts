/** OAuth 2 client credentials with private_key_jwt for partner information systems. */
export {};
