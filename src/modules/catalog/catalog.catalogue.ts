import { defineCatalogue } from '../../core/catalogue.ts';

/**
 * The product catalogue: items (`products:*`), suppliers (`suppliers:*`) and tags
 * (`tags:*`), whose permissions are the records area's; this adds their errors and messages.
 */
export const catalogCatalogue = defineCatalogue({
  area: 'catalog',
  permissions: {},
  errors: {
    'ITEM.NOT_FOUND': 404,
    'ITEM.SKU_TAKEN': 409,
    'ITEM.BARCODE_TAKEN': 409,
    'ITEM.IN_USE': 409,
    'SUPPLIER.NOT_FOUND': 404,
    'SUPPLIER.NAME_TAKEN': 409,
    'TAG.NOT_FOUND': 404,
    'TAG.NAME_TAKEN': 409,
  },
  messages: {
    en: {
      'ITEM.NOT_FOUND': 'No such item.',
      'ITEM.SKU_TAKEN': 'An item with this SKU already exists in this workspace.',
      'ITEM.BARCODE_TAKEN': 'An item with this barcode already exists in this workspace.',
      'ITEM.IN_USE': 'Other records refer to this item (its stock history, invoices); archive it instead.',
      'SUPPLIER.NOT_FOUND': 'No such supplier.',
      'SUPPLIER.NAME_TAKEN': 'A supplier with this name already exists in this workspace.',
      'TAG.NOT_FOUND': 'No such tag.',
      'TAG.NAME_TAKEN': 'A tag with this name already exists in this workspace.',
      'item.created': 'Item created.',
      'item.updated': 'Item updated.',
      'item.deleted': 'Item deleted.',
      'supplier.created': 'Supplier created.',
      'supplier.updated': 'Supplier updated.',
      'supplier.deleted': 'Supplier deleted.',
      'tag.created': 'Tag created.',
      'tag.updated': 'Tag updated.',
      'tag.deleted': 'Tag deleted.',
    },
    es: {
      'ITEM.NOT_FOUND': 'No existe ese artículo.',
      'ITEM.SKU_TAKEN': 'Ya existe un artículo con este SKU en esta sucursal.',
      'ITEM.BARCODE_TAKEN': 'Ya existe un artículo con este código de barras en esta sucursal.',
      'ITEM.IN_USE': 'Otros registros hacen referencia a este artículo (su historial de existencias, facturas); archívelo en su lugar.',
      'SUPPLIER.NOT_FOUND': 'No existe ese proveedor.',
      'SUPPLIER.NAME_TAKEN': 'Ya existe un proveedor con este nombre en esta sucursal.',
      'TAG.NOT_FOUND': 'No existe esa etiqueta.',
      'TAG.NAME_TAKEN': 'Ya existe una etiqueta con este nombre en esta sucursal.',
      'item.created': 'Artículo creado.',
      'item.updated': 'Artículo actualizado.',
      'item.deleted': 'Artículo eliminado.',
      'supplier.created': 'Proveedor creado.',
      'supplier.updated': 'Proveedor actualizado.',
      'supplier.deleted': 'Proveedor eliminado.',
      'tag.created': 'Etiqueta creada.',
      'tag.updated': 'Etiqueta actualizada.',
      'tag.deleted': 'Etiqueta eliminada.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    catalog: typeof catalogCatalogue;
  }
}
