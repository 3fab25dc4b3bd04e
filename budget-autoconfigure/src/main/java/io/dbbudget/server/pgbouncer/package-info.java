/**
 * Connection poolers between the application and PostgreSQL, such as PgBouncer: whether a
 * connection goes through one, and the pooler's own connection limits and pool mode. Plain
 * JDBC.
 */
@NullMarked
package io.dbbudget.server.pgbouncer;

import org.jspecify.annotations.NullMarked;
