/**
 * What the database server says: its connection limits, what its sessions are doing, the
 * termination of this application's idle sessions and fleet membership, for PostgreSQL and,
 * in the {@code MySql*} classes, for MySQL and MariaDB (one dialect for both where they agree),
 * each behind {@link io.dbbudget.server.ServerDialect}. Plain JDBC: failures are told apart by
 * SQLSTATE and vendor code, never by a driver's classes.
 */
@NullMarked
package io.dbbudget.server;

import org.jspecify.annotations.NullMarked;
