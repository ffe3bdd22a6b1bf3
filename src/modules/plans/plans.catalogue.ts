import { defineCatalogue } from '../../core/catalogue.ts';

/** Plans add no permission: their limits gate other areas' creates. */
export const plansCatalogue = defineCatalogue({
  area: 'plans',
  permissions: {},
  errors: {
    'PLAN.LIMIT_REACHED': 402,
    'PLAN.NOT_FOUND': 404,
  },
  messages: {
    en: {
      'PLAN.LIMIT_REACHED': "This workspace's plan allows {allowed} {limit}; upgrade the plan or remove some first.",
      'PLAN.NOT_FOUND': 'No such plan.',
    },
    es: {
      'PLAN.LIMIT_REACHED': 'El plan de esta sucursal permite {allowed} ({limit}); cambie de plan o elimine algunos primero.',
      'PLAN.NOT_FOUND': 'No existe ese plan.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    plans: typeof plansCatalogue;
  }
}
