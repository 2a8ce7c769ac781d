//! What `Expr.to_variant()` and `LogicalPlan.to_variant()` read: a node's variant name and its
//! fields as Python values. The classes of `fuseplug.expr` (`BinaryExpr`, `Projection`, ...) are
//! thin Python views over these fields.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema};
use arrow::pyarrow::{FromPyArrow, ToPyArrow};
use datafusion::common::{DFSchema, NullEquality, TableReference};
use datafusion::logical_expr::expr::{
    AggregateFunction, Alias, Exists, GroupingSet, HigherOrderFunction, InList, InSubquery, Lambda,
    LambdaVariable, Placeholder, ScalarFunction, WindowFunction,
};
use datafusion::logical_expr::{
    Between, BinaryExpr, Case, Cast, CreateExternalTable, DdlStatement, Expr, ExprSchemable, Like,
    LogicalPlan, Partitioning, Statement, TryCast,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{Error, Result};
use crate::expr::{PyExpr, PySortExpr};
use crate::plan::PyLogicalPlan;

/// A node's fields, filled in by name.
struct Fields<'py> {
    py: Python<'py>,
    dict: Bound<'py, PyDict>,
}

impl<'py> Fields<'py> {
    fn new(py: Python<'py>) -> Self {
        Self { py, dict: PyDict::new(py) }
    }

    fn set(&self, key: &str, value: impl IntoPyObject<'py>) -> Result<&Self> {
        self.dict.set_item(key, value)?;
        Ok(self)
    }

    fn expr(&self, key: &str, expr: &Expr) -> Result<&Self> {
        self.set(key, PyExpr::from(expr.clone()))
    }

    fn opt_expr(&self, key: &str, expr: Option<&Expr>) -> Result<&Self> {
        self.set(key, expr.map(|e| PyExpr::from(e.clone())))
    }

    fn exprs<'a>(&self, key: &str, exprs: impl IntoIterator<Item = &'a Expr>) -> Result<&Self> {
        let list: Vec<PyExpr> = exprs.into_iter().map(|e| PyExpr::from(e.clone())).collect();
        self.set(key, list)
    }

    fn plan(&self, key: &str, plan: &LogicalPlan) -> Result<&Self> {
        self.set(key, PyLogicalPlan::from(plan.clone()))
    }

    /// The official bindings return a node's single input as a one-element list.
    fn input(&self, plan: &Arc<LogicalPlan>) -> Result<&Self> {
        self.set("input", vec![PyLogicalPlan::from(plan.as_ref().clone())])
    }

    fn data_type(&self, key: &str, data_type: &DataType) -> Result<&Self> {
        self.set(key, data_type.to_pyarrow(self.py)?)
    }

    fn schema(&self, key: &str, schema: &DFSchema) -> Result<&Self> {
        self.set(key, df_schema(self.py, schema)?)
    }

    fn arrow_schema(&self, key: &str, schema: &Schema) -> Result<&Self> {
        let qualifiers: Vec<Option<String>> = vec![None; schema.fields().len()];
        self.set(key, python_df_schema(self.py, qualifiers, schema)?)
    }

    fn table(&self, key: &str, table: &TableReference) -> Result<&Self> {
        self.set(key, table.to_string())
    }
}

fn python_df_schema<'py>(
    py: Python<'py>,
    qualifiers: Vec<Option<String>>,
    schema: &Schema,
) -> Result<Bound<'py, PyAny>> {
    let class = py.import("fuseplug.common")?.getattr("DFSchema")?;
    Ok(class.call_method1("_from_parts", (qualifiers, schema.to_pyarrow(py)?))?)
}

/// A DataFusion schema as a `fuseplug.common.DFSchema`: a pyarrow schema and a qualifier per field.
pub fn df_schema<'py>(py: Python<'py>, schema: &DFSchema) -> Result<Bound<'py, PyAny>> {
    let qualifiers = schema.iter().map(|(q, _)| q.map(|q| q.to_string())).collect();
    python_df_schema(py, qualifiers, schema.as_arrow())
}

/// The DataFusion schema a `fuseplug.common.DFSchema` describes.
pub fn df_schema_from_python(schema: &Bound<'_, PyAny>) -> Result<DFSchema> {
    let (qualifiers, arrow): (Vec<Option<String>>, Bound<'_, PyAny>) =
        schema.call_method0("_parts")?.extract()?;
    let arrow = Schema::from_pyarrow_bound(&arrow)?;
    let fields: Vec<(Option<TableReference>, Arc<Field>)> = qualifiers
        .into_iter()
        .zip(arrow.fields().iter().cloned())
        .map(|(q, f)| (q.map(TableReference::from), f))
        .collect();
    Ok(DFSchema::new_with_metadata(fields, arrow.metadata().clone())?)
}

fn like<'py>(fields: &Fields<'py>, like: &Like) -> Result<()> {
    fields
        .expr("expr", &like.expr)?
        .expr("pattern", &like.pattern)?
        .set("escape_char", like.escape_char.map(String::from))?
        .set("negated", like.negated)?
        .set("case_insensitive", like.case_insensitive)?;
    Ok(())
}

fn expr_fields<'py>(py: Python<'py>, expr: &Expr) -> Result<Fields<'py>> {
    let f = Fields::new(py);
    match expr {
        Expr::Alias(Alias { expr, relation, name, .. }) => {
            f.expr("expr", expr)?.set("alias", name)?;
            f.set("relation", relation.as_ref().map(|r| r.to_string()))?;
        }
        Expr::Column(c) => {
            f.set("name", &c.name)?.set("relation", c.relation.as_ref().map(|r| r.to_string()))?;
            f.set("qualified_name", c.flat_name())?;
        }
        Expr::OuterReferenceColumn(field, c) => {
            f.set("name", &c.name)?.set("relation", c.relation.as_ref().map(|r| r.to_string()))?;
            f.set("qualified_name", c.flat_name())?.data_type("data_type", field.data_type())?;
        }
        Expr::ScalarVariable(field, names) => {
            f.data_type("data_type", field.data_type())?.set("variables", names)?;
        }
        Expr::Literal(value, _) => {
            f.set("value", crate::expr::scalar_to_pyarrow(py, value)?)?;
            f.set("type_name", value.data_type().to_string())?;
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            f.expr("left", left)?.set("op", op.to_string())?.expr("right", right)?;
        }
        Expr::Like(l) | Expr::SimilarTo(l) => like(&f, l)?,
        Expr::Not(e)
        | Expr::IsNotNull(e)
        | Expr::IsNull(e)
        | Expr::IsTrue(e)
        | Expr::IsFalse(e)
        | Expr::IsUnknown(e)
        | Expr::IsNotTrue(e)
        | Expr::IsNotFalse(e)
        | Expr::IsNotUnknown(e)
        | Expr::Negative(e) => {
            f.expr("expr", e)?;
        }
        Expr::Between(Between { expr, negated, low, high }) => {
            f.expr("expr", expr)?.set("negated", negated)?.expr("low", low)?.expr("high", high)?;
        }
        Expr::Case(Case { expr, when_then_expr, else_expr }) => {
            f.opt_expr("expr", expr.as_deref())?.opt_expr("else_expr", else_expr.as_deref())?;
            let pairs: Vec<(PyExpr, PyExpr)> = when_then_expr
                .iter()
                .map(|(w, t)| (PyExpr::from(w.as_ref().clone()), PyExpr::from(t.as_ref().clone())))
                .collect();
            f.set("when_then_expr", pairs)?;
        }
        Expr::Cast(Cast { expr, field }) | Expr::TryCast(TryCast { expr, field }) => {
            f.expr("expr", expr)?.data_type("data_type", field.data_type())?;
        }
        Expr::ScalarFunction(ScalarFunction { func, args }) => {
            f.set("name", func.name())?.exprs("args", args)?;
        }
        Expr::AggregateFunction(AggregateFunction { func, params }) => {
            f.set("aggregate_type", func.name())?.exprs("args", &params.args)?;
            f.set("is_distinct", params.distinct)?.opt_expr("filter", params.filter.as_deref())?;
            let order: Vec<PyExpr> =
                params.order_by.iter().map(|s| PyExpr::from(s.expr.clone())).collect();
            f.set("order_by", order)?;
        }
        Expr::WindowFunction(w) => {
            let WindowFunction { fun, params } = w.as_ref();
            f.set("name", fun.name())?.exprs("args", &params.args)?;
            f.exprs("partition_by", &params.partition_by)?;
            f.set("window_frame", params.window_frame.to_string())?;
            let order: Vec<PyExpr> =
                params.order_by.iter().map(|s| PyExpr::from(s.expr.clone())).collect();
            f.set("order_by", order)?;
        }
        Expr::InList(InList { expr, list, negated }) => {
            f.expr("expr", expr)?.exprs("list", list)?.set("negated", negated)?;
        }
        Expr::Exists(Exists { subquery, negated }) => {
            f.plan("subquery", &subquery.subquery)?.set("negated", negated)?;
        }
        Expr::InSubquery(InSubquery { expr, subquery, negated }) => {
            f.expr("expr", expr)?.plan("subquery", &subquery.subquery)?.set("negated", negated)?;
        }
        Expr::ScalarSubquery(subquery) => {
            f.plan("subquery", &subquery.subquery)?;
        }
        Expr::GroupingSet(set) => {
            let (kind, groups): (&str, Vec<Vec<Expr>>) = match set {
                GroupingSet::Rollup(e) => ("rollup", vec![e.clone()]),
                GroupingSet::Cube(e) => ("cube", vec![e.clone()]),
                GroupingSet::GroupingSets(g) => ("grouping_sets", g.clone()),
            };
            let groups: Vec<Vec<PyExpr>> =
                groups.into_iter().map(|g| g.into_iter().map(PyExpr::from).collect()).collect();
            f.set("kind", kind)?.set("groups", groups)?;
        }
        Expr::Placeholder(Placeholder { id, field }) => {
            f.set("id", id)?;
            match field {
                Some(field) => f.data_type("data_type", field.data_type())?,
                None => f.set("data_type", py.None())?,
            };
        }
        Expr::Unnest(u) => {
            f.expr("expr", &u.expr)?;
        }
        Expr::HigherOrderFunction(HigherOrderFunction { func, args }) => {
            f.set("name", func.name())?.exprs("args", args)?;
        }
        Expr::Lambda(Lambda { params, body }) => {
            f.set("params", params)?.expr("body", body)?;
        }
        Expr::LambdaVariable(LambdaVariable { name, .. }) => {
            f.set("name", name)?;
        }
        #[expect(deprecated)]
        Expr::Wildcard { .. } => {}
        Expr::SetComparison(_) => {}
    }
    Ok(f)
}

/// `(variant name, fields)` of an expression.
#[pyfunction]
pub fn expr_variant<'py>(py: Python<'py>, expr: PyExpr) -> Result<(String, Bound<'py, PyDict>)> {
    let fields = expr_fields(py, &expr.inner)?;
    Ok((expr.inner.variant_name().to_string(), fields.dict))
}

fn partitioning<'py>(f: &Fields<'py>, scheme: &Partitioning) -> Result<()> {
    match scheme {
        Partitioning::RoundRobinBatch(n) => {
            f.set("partitioning_scheme", ("round_robin", *n))?.exprs("distribute_list", [])?;
        }
        Partitioning::Hash(exprs, n) => {
            f.set("partitioning_scheme", ("hash", *n))?.exprs("distribute_list", exprs)?;
        }
        Partitioning::Range(range) => {
            f.set("partitioning_scheme", ("range", range.partition_count()))?;
            f.exprs("distribute_list", [])?;
        }
        Partitioning::DistributeBy(exprs) => {
            f.set("partitioning_scheme", ("distribute_by", 0usize))?;
            f.exprs("distribute_list", exprs)?;
        }
    }
    Ok(())
}

/// The fields of `CREATE EXTERNAL TABLE`, shared by plan views and Python table factories.
fn create_external_table_fields<'py>(f: &Fields<'py>, t: &CreateExternalTable) -> Result<()> {
    f.table("name", &t.name)?.schema("schema", &t.schema)?;
    f.set("location", t.locations.first().cloned().unwrap_or_default())?;
    f.set("locations", &t.locations)?.set("file_type", &t.file_type)?;
    f.set("table_partition_cols", &t.table_partition_cols)?;
    f.set("if_not_exists", t.if_not_exists)?.set("or_replace", t.or_replace)?;
    f.set("temporary", t.temporary)?.set("definition", &t.definition)?;
    let order: Vec<Vec<PyExpr>> = t
        .order_exprs
        .iter()
        .map(|o| o.iter().map(|s| PyExpr::from(s.expr.clone())).collect())
        .collect();
    f.set("order_exprs", order)?.set("unbounded", t.unbounded)?;
    f.set("options", t.options.clone())?;
    f.set("constraints", t.constraints.to_string())?;
    let defaults: Vec<(String, PyExpr)> =
        t.column_defaults.iter().map(|(k, v)| (k.clone(), PyExpr::from(v.clone()))).collect();
    f.set("column_defaults", defaults)?;
    Ok(())
}

/// The `fuseplug.expr.CreateExternalTable` that a Python `TableProviderFactory.create` receives.
pub fn create_external_table_view<'py>(
    py: Python<'py>,
    cmd: &CreateExternalTable,
) -> Result<Bound<'py, PyAny>> {
    let fields = Fields::new(py);
    create_external_table_fields(&fields, cmd)?;
    let class = py.import("fuseplug._plan_variants")?.getattr("CreateExternalTable")?;
    Ok(class.call1((fields.dict,))?)
}

fn ddl_fields<'py>(f: &Fields<'py>, ddl: &DdlStatement) -> Result<&'static str> {
    Ok(match ddl {
        DdlStatement::CreateExternalTable(t) => {
            create_external_table_fields(f, t)?;
            "CreateExternalTable"
        }
        DdlStatement::CreateMemoryTable(t) => {
            f.table("name", &t.name)?.input(&t.input)?;
            f.set("if_not_exists", t.if_not_exists)?.set("or_replace", t.or_replace)?;
            f.set("temporary", t.temporary)?;
            "CreateMemoryTable"
        }
        DdlStatement::CreateView(v) => {
            f.table("name", &v.name)?.input(&v.input)?.set("or_replace", v.or_replace)?;
            f.set("definition", &v.definition)?.set("temporary", v.temporary)?;
            "CreateView"
        }
        DdlStatement::CreateCatalogSchema(s) => {
            f.set("schema_name", &s.schema_name)?.set("if_not_exists", s.if_not_exists)?;
            f.schema("schema", &s.schema)?;
            "CreateCatalogSchema"
        }
        DdlStatement::CreateCatalog(c) => {
            f.set("catalog_name", &c.catalog_name)?.set("if_not_exists", c.if_not_exists)?;
            f.schema("schema", &c.schema)?;
            "CreateCatalog"
        }
        DdlStatement::CreateIndex(i) => {
            f.set("name", &i.name)?.table("table", &i.table)?.set("using", &i.using)?;
            let columns: Vec<PyExpr> =
                i.columns.iter().map(|s| PyExpr::from(s.expr.clone())).collect();
            f.set("columns", columns)?.set("unique", i.unique)?;
            f.set("if_not_exists", i.if_not_exists)?.schema("schema", &i.schema)?;
            "CreateIndex"
        }
        DdlStatement::DropTable(d) => {
            f.table("name", &d.name)?.set("if_exists", d.if_exists)?.schema("schema", &d.schema)?;
            "DropTable"
        }
        DdlStatement::DropView(d) => {
            f.table("name", &d.name)?.set("if_exists", d.if_exists)?.schema("schema", &d.schema)?;
            "DropView"
        }
        DdlStatement::DropCatalogSchema(d) => {
            f.set("name", d.name.to_string())?.set("if_exists", d.if_exists)?;
            f.set("cascade", d.cascade)?.schema("schema", &d.schema)?;
            "DropCatalogSchema"
        }
        DdlStatement::CreateFunction(c) => {
            f.set("name", &c.name)?.set("or_replace", c.or_replace)?;
            f.set("temporary", c.temporary)?.schema("schema", &c.schema)?;
            let args: Option<Vec<(Option<String>, Bound<'py, PyAny>)>> = c
                .args
                .as_ref()
                .map(|args| {
                    args.iter()
                        .map(|a| {
                            let name = a.name.as_ref().map(|n| n.value.clone());
                            Ok((name, a.data_type.to_pyarrow(f.py)?))
                        })
                        .collect::<Result<_>>()
                })
                .transpose()?;
            f.set("args", args)?;
            match &c.return_type {
                Some(t) => f.data_type("return_type", t)?,
                None => f.set("return_type", f.py.None())?,
            };
            f.set("language", c.params.language.as_ref().map(|l| l.value.clone()))?;
            f.set("behavior", c.params.behavior.as_ref().map(|b| format!("{b:?}")))?;
            f.opt_expr("function_body", c.params.function_body.as_ref())?;
            "CreateFunction"
        }
        DdlStatement::DropFunction(d) => {
            f.set("name", &d.name)?.set("if_exists", d.if_exists)?.schema("schema", &d.schema)?;
            "DropFunction"
        }
    })
}

fn statement_fields<'py>(f: &Fields<'py>, statement: &Statement) -> Result<&'static str> {
    Ok(match statement {
        Statement::TransactionStart(s) => {
            f.set("access_mode", format!("{:?}", s.access_mode))?;
            f.set("isolation_level", format!("{:?}", s.isolation_level))?;
            "TransactionStart"
        }
        Statement::TransactionEnd(e) => {
            f.set("conclusion", format!("{:?}", e.conclusion))?.set("chain", e.chain)?;
            "TransactionEnd"
        }
        Statement::SetVariable(s) => {
            f.set("variable", &s.variable)?.set("value", &s.value)?;
            "SetVariable"
        }
        Statement::ResetVariable(r) => {
            f.set("variable", &r.variable)?;
            "ResetVariable"
        }
        Statement::Prepare(p) => {
            let fields: Vec<Bound<'py, PyAny>> = p
                .fields
                .iter()
                .map(|field| Ok(field.as_ref().to_pyarrow(f.py)?))
                .collect::<Result<_>>()?;
            f.set("name", &p.name)?.set("fields", fields)?.input(&p.input)?;
            "Prepare"
        }
        Statement::Execute(e) => {
            f.set("name", &e.name)?.exprs("parameters", &e.parameters)?;
            "Execute"
        }
        Statement::Deallocate(d) => {
            f.set("name", &d.name)?;
            "Deallocate"
        }
    })
}

fn plan_fields<'py>(f: &Fields<'py>, plan: &LogicalPlan) -> Result<&'static str> {
    Ok(match plan {
        LogicalPlan::Projection(p) => {
            f.exprs("projections", &p.expr)?.input(&p.input)?.schema("schema", &p.schema)?;
            "Projection"
        }
        LogicalPlan::Filter(p) => {
            f.expr("predicate", &p.predicate)?.input(&p.input)?;
            f.schema("schema", p.input.schema())?;
            "Filter"
        }
        LogicalPlan::Window(w) => {
            f.exprs("window_exprs", &w.window_expr)?.input(&w.input)?;
            f.schema("schema", &w.schema)?;
            "Window"
        }
        LogicalPlan::Aggregate(a) => {
            f.exprs("group_by_exprs", &a.group_expr)?.exprs("aggregate_exprs", &a.aggr_expr)?;
            f.input(&a.input)?.schema("schema", &a.schema)?;
            "Aggregate"
        }
        LogicalPlan::Sort(s) => {
            let sort: Vec<PySortExpr> =
                s.expr.iter().map(|e| PySortExpr { inner: e.clone() }).collect();
            f.set("sort_exprs", sort)?.set("fetch", s.fetch)?.input(&s.input)?;
            f.schema("schema", s.input.schema())?;
            "Sort"
        }
        LogicalPlan::Join(j) => {
            f.plan("left", &j.left)?.plan("right", &j.right)?;
            let on: Vec<(PyExpr, PyExpr)> =
                j.on.iter()
                    .map(|(l, r)| (PyExpr::from(l.clone()), PyExpr::from(r.clone())))
                    .collect();
            f.set("on", on)?.opt_expr("filter", j.filter.as_ref())?;
            f.set("join_type", j.join_type.to_string())?;
            f.set("join_constraint", format!("{:?}", j.join_constraint))?;
            f.set("null_equals_null", j.null_equality == NullEquality::NullEqualsNull)?;
            f.schema("schema", &j.schema)?;
            "Join"
        }
        LogicalPlan::Repartition(r) => {
            partitioning(f, &r.partitioning_scheme)?;
            f.input(&r.input)?.schema("schema", r.input.schema())?;
            "Repartition"
        }
        LogicalPlan::Union(u) => {
            let inputs: Vec<PyLogicalPlan> =
                u.inputs.iter().map(|p| PyLogicalPlan::from(p.as_ref().clone())).collect();
            f.set("input", inputs)?.schema("schema", &u.schema)?;
            "Union"
        }
        LogicalPlan::TableScan(t) => {
            f.table("table_name", &t.table_name)?;
            let fqn = (
                t.table_name.catalog().map(String::from),
                t.table_name.schema().map(String::from),
                t.table_name.table().to_string(),
            );
            f.set("fqn", fqn)?;
            let projection: Vec<(usize, String)> = match &t.projection {
                Some(indices) => {
                    let schema = t.source.schema();
                    indices.iter().map(|i| (*i, schema.field(*i).name().clone())).collect()
                }
                None => Vec::new(),
            };
            f.set("projection", projection)?.exprs("filters", &t.filters)?;
            f.set("fetch", t.fetch)?.schema("schema", &t.projected_schema)?;
            "TableScan"
        }
        LogicalPlan::EmptyRelation(e) => {
            f.set("produce_one_row", e.produce_one_row)?.schema("schema", &e.schema)?;
            "EmptyRelation"
        }
        LogicalPlan::Subquery(s) => {
            f.input(&s.subquery)?.exprs("outer_ref_columns", &s.outer_ref_columns)?;
            "Subquery"
        }
        LogicalPlan::SubqueryAlias(s) => {
            f.input(&s.input)?.table("alias", &s.alias)?.schema("schema", &s.schema)?;
            "SubqueryAlias"
        }
        LogicalPlan::Limit(l) => {
            f.opt_expr("skip", l.skip.as_deref())?.opt_expr("fetch", l.fetch.as_deref())?;
            f.input(&l.input)?.schema("schema", l.input.schema())?;
            "Limit"
        }
        LogicalPlan::Statement(s) => statement_fields(f, s)?,
        LogicalPlan::Values(v) => {
            let rows: Vec<Vec<PyExpr>> = v
                .values
                .iter()
                .map(|row| row.iter().cloned().map(PyExpr::from).collect())
                .collect();
            f.set("values", rows)?.schema("schema", &v.schema)?;
            "Values"
        }
        LogicalPlan::Explain(e) => {
            f.set("verbose", e.verbose)?.plan("plan", &e.plan)?;
            let lines: Vec<String> =
                e.stringified_plans.iter().map(|p| p.plan.to_string()).collect();
            f.set("explain_string", lines)?.schema("schema", &e.schema)?;
            f.set("logical_optimization_succeeded", e.logical_optimization_succeeded)?;
            "Explain"
        }
        LogicalPlan::Analyze(a) => {
            f.set("verbose", a.verbose)?.input(&a.input)?.schema("schema", &a.schema)?;
            "Analyze"
        }
        LogicalPlan::Extension(e) => {
            f.set("name", e.node.name())?;
            let inputs: Vec<PyLogicalPlan> =
                e.node.inputs().into_iter().map(|p| PyLogicalPlan::from(p.clone())).collect();
            f.set("input", inputs)?.schema("schema", e.node.schema())?;
            "Extension"
        }
        LogicalPlan::Distinct(d) => {
            let input = d.input();
            f.input(input)?.schema("schema", input.schema())?;
            "Distinct"
        }
        LogicalPlan::Dml(d) => {
            f.table("table_name", &d.table_name)?.set("op", d.op.name())?.input(&d.input)?;
            f.schema("output_schema", &d.output_schema)?;
            "DmlStatement"
        }
        LogicalPlan::Ddl(d) => ddl_fields(f, d)?,
        LogicalPlan::Copy(c) => {
            f.input(&c.input)?.set("output_url", &c.output_url)?;
            f.set("partition_by", &c.partition_by)?.set("file_type", c.file_type.to_string())?;
            f.set("options", c.options.clone())?;
            "CopyTo"
        }
        LogicalPlan::DescribeTable(d) => {
            f.arrow_schema("schema", &d.schema)?.schema("output_schema", &d.output_schema)?;
            "DescribeTable"
        }
        LogicalPlan::Unnest(u) => {
            f.input(&u.input)?.schema("schema", &u.schema)?;
            "Unnest"
        }
        LogicalPlan::RecursiveQuery(r) => {
            f.set("name", &r.name)?.plan("static_term", &r.static_term)?;
            f.plan("recursive_term", &r.recursive_term)?.set("is_distinct", r.is_distinct)?;
            "RecursiveQuery"
        }
    })
}

/// `(variant name, fields)` of a plan's top node.
#[pyfunction]
pub fn plan_variant<'py>(
    py: Python<'py>,
    plan: &PyLogicalPlan,
) -> Result<(&'static str, Bound<'py, PyDict>)> {
    let fields = Fields::new(py);
    let name = plan_fields(&fields, &plan.inner)?;
    Ok((name, fields.dict))
}

/// A `ROLLUP`, `CUBE` or `GROUPING SETS` grouping expression.
#[pyfunction]
pub fn grouping_set(kind: &str, lists: Vec<Vec<PyExpr>>) -> Result<PyExpr> {
    let mut lists: Vec<Vec<Expr>> = lists.into_iter().map(crate::expr::exprs).collect();
    let set = match kind {
        "rollup" => GroupingSet::Rollup(lists.pop().unwrap_or_default()),
        "cube" => GroupingSet::Cube(lists.pop().unwrap_or_default()),
        "grouping_sets" => GroupingSet::GroupingSets(lists),
        other => return Err(Error::Value(format!("unknown grouping set kind: {other}"))),
    };
    Ok(Expr::GroupingSet(set).into())
}

/// The name of the column `expr` produces when evaluated over `plan`'s output.
#[pyfunction]
pub fn expr_column_name(expr: PyExpr, plan: &PyLogicalPlan) -> Result<String> {
    let (_, field) = expr.inner.to_field(plan.inner.schema())?;
    Ok(field.name().clone())
}

/// The data type of `expr` evaluated over no columns (literals, casts and functions of them).
#[pyfunction]
pub fn expr_data_type<'py>(py: Python<'py>, expr: PyExpr) -> Result<Bound<'py, PyAny>> {
    let (_, field) = expr.inner.to_field(&DFSchema::empty())?;
    Ok(field.data_type().to_pyarrow(py)?)
}

/// A SQL expression over the columns of `schema` (a `fuseplug.common.DFSchema`), planned by the
/// session of `ctx`, so its functions and configuration apply.
#[pyfunction]
pub fn parse_sql_expr(
    ctx: &crate::context::PySessionContext,
    sql: &str,
    schema: &Bound<'_, PyAny>,
) -> Result<PyExpr> {
    let schema = df_schema_from_python(schema)?;
    Ok(ctx.ctx.state().create_logical_expr(sql, &schema)?.into())
}
