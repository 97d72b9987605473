/**
 * Profiles are data: each one is a partial configuration laid over the schema defaults (which are
 * the development profile). A config file and command-line flags are laid over the profile.
 */
export const PROFILES = {
  development: {
    admin: {},
    proxy: {},
    prismctl: {},
  },
  staging: {
    admin: { grpcListen: '0.0.0.0:8981', httpListen: '0.0.0.0:8982', backendPolicy: { allowLoopback: false } },
    proxy: {
      listen: '0.0.0.0:8980',
      opsListen: '0.0.0.0:9980',
      auth: { required: true },
      backendPolicy: { allowLoopback: false },
      accessLog: { enabled: true },
    },
    prismctl: { lb: { listen: '0.0.0.0:8080' } },
  },
  production: {
    admin: {
      grpcListen: '0.0.0.0:8981',
      httpListen: '0.0.0.0:8982',
      dataDir: '/var/lib/prism-admin',
      backendPolicy: { allowLoopback: false },
      rebalance: { cooldownSeconds: 300 },
    },
    proxy: {
      listen: '0.0.0.0:8980',
      opsListen: '0.0.0.0:9980',
      stateDir: '/var/lib/prism-proxy',
      auth: { required: true },
      backendPolicy: { allowLoopback: false },
      accessLog: { enabled: true },
    },
    prismctl: { lb: { listen: '0.0.0.0:8080' } },
  },
} as const;

export type ProfileName = keyof typeof PROFILES;
export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];
