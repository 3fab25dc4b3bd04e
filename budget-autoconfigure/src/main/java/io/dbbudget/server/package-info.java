/**
 * What the database server says, behind {@link io.dbbudget.server.ServerDialect}: its
 * connection limits, what its sessions are doing, the errors by which it says it ended
 * sessions, and the sample of its activity that the endpoint, health and metrics share. Each
 * product's SQL lives in a package of its own ({@code postgresql}, {@code mysql},
 * {@code pgbouncer}). Plain JDBC: failures are told apart by SQLSTATE and vendor code, never by
 * a driver's classes.
 */
@NullMarked
package io.dbbudget.server;

import org.jspecify.annotations.NullMarked;
