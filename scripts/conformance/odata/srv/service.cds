using conformance from '../db/schema';

@path: '/odata/v4/test'
service TestService {
  entity Authors   as projection on conformance.Authors;
  entity Books     as projection on conformance.Books;
  entity Customers as projection on conformance.Customers;
  action reset() returns Integer;
}
