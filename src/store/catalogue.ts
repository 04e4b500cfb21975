/**
 * Datasets (a supplier's registered schema) and projects (an authorisation). Both are validated
 * by the caller (`schema-validation`); the store keeps them as given, with who and when.
 */
import { KoppelError } from '../errors.js';
import type { DatasetSchema, ProjectSpec } from '../model.js';
import type { Db } from './database.js';
import { newId, now } from './ids.js';
import type { DatasetRecord, ProjectRecord } from './records.js';

interface DatasetRow {
  name: string;
  supplier: string;
  schema_json: string;
  created_at: string;
  created_by: string;
}

interface ProjectRow {
  id: string;
  spec_json: string;
  created_at: string;
  created_by: string;
}

function datasetRecord(row: DatasetRow): DatasetRecord {
  return { name: row.name, supplier: row.supplier, schema: JSON.parse(row.schema_json) as DatasetSchema, created_at: row.created_at, created_by: row.created_by };
}

function projectRecord(row: ProjectRow): ProjectRecord {
  const spec = JSON.parse(row.spec_json) as ProjectSpec;
  return { ...spec, id: row.id, created_at: row.created_at, created_by: row.created_by };
}

export class Catalogue {
  private readonly insertDataset;
  private readonly datasetByName;
  private readonly allDatasets;
  private readonly insertProject;
  private readonly projectById;
  private readonly allProjects;

  constructor(db: Db) {
    this.insertDataset = db.prepare('INSERT INTO datasets (name, supplier, schema_json, created_at, created_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING');
    this.datasetByName = db.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE name = ?');
    this.allDatasets = db.prepare<[], DatasetRow>('SELECT * FROM datasets ORDER BY name');
    this.insertProject = db.prepare('INSERT INTO projects (id, spec_json, created_at, created_by) VALUES (?, ?, ?, ?)');
    this.projectById = db.prepare<[string], ProjectRow>('SELECT * FROM projects WHERE id = ?');
    this.allProjects = db.prepare<[], ProjectRow>('SELECT * FROM projects ORDER BY created_at, id');
  }

  createDataset(schema: DatasetSchema, by: string): DatasetRecord {
    const createdAt = now();
    const json = JSON.stringify(schema);
    const result = this.insertDataset.run(schema.name, schema.supplier, json, createdAt, by);
    if (result.changes === 0) {
      throw new KoppelError('KOPPEL_ERR_SCHEMA_EXISTS', `a dataset named ${schema.name} already exists`, { dataset: schema.name });
    }
    return datasetRecord({ name: schema.name, supplier: schema.supplier, schema_json: json, created_at: createdAt, created_by: by });
  }

  getDataset(name: string): DatasetRecord | null {
    const row = this.datasetByName.get(name);
    return row === undefined ? null : datasetRecord(row);
  }

  listDatasets(): DatasetRecord[] {
    return this.allDatasets.all().map(datasetRecord);
  }

  createProject(spec: ProjectSpec, by: string): ProjectRecord {
    const id = newId('prj');
    const createdAt = now();
    // Store the spec alone: id and provenance are columns, so a spec can never override them.
    const { id: _i, created_at: _c, created_by: _b, ...clean } = spec as ProjectSpec & Partial<Record<'id' | 'created_at' | 'created_by', unknown>>;
    const json = JSON.stringify(clean);
    this.insertProject.run(id, json, createdAt, by);
    return projectRecord({ id, spec_json: json, created_at: createdAt, created_by: by });
  }

  getProject(id: string): ProjectRecord | null {
    const row = this.projectById.get(id);
    return row === undefined ? null : projectRecord(row);
  }

  listProjects(): ProjectRecord[] {
    return this.allProjects.all().map(projectRecord);
  }
}
