import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { mountRecordRoutes } from '../../core/http/record-routes.ts';
import { Contact, ContactListQuery, CreateContactBody, UpdateContactBody } from './contacts.schemas.ts';
import type { ContactsService } from './contacts.service.ts';

/** The current workspace's contacts: customers and vendors. */
export const contactsRoutes: FastifyPluginAsyncTypebox<{ contacts: ContactsService }> = async (app, { contacts }) => {
  mountRecordRoutes(app, contacts, {
    plural: 'contacts',
    singular: 'Contact',
    resource: 'contacts',
    noun: 'contact',
    messages: { created: 'contact.created', updated: 'contact.updated', deleted: 'contact.deleted' },
    notFound: 'CONTACT.NOT_FOUND',
    shape: Contact,
    listQuery: ContactListQuery,
    createBody: CreateContactBody,
    updateBody: UpdateContactBody,
    listSummary: 'Contacts of the workspace, by id; q finds an exact tax id or names starting with it; kind=customer|vendor includes those of both',
    createSummary: 'Create a customer or vendor (a tax id is a valid RNC or cédula, unique in the workspace)',
    deleteSummary: 'Delete a contact',
  });
};
